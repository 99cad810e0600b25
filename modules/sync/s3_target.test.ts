// The UploadTarget contract against s3Target on a real moto_server (started here on a free port).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { createSyncEngine, s3Target } from "./mod.ts";
import { withDir, writeRandomFile } from "./temp_dir_test_support.ts";
import { createBucket, type MotoServer, motoUnavailable, startMoto } from "./moto_server_test_support.ts";
import { uploadTargetContract } from "./upload_target_contract_test_support.ts";

const skip = motoUnavailable();
let moto: MotoServer | undefined;
let buckets = 0;

before(async () => {
  if (!skip) moto = await startMoto();
});
after(async () => {
  await moto?.stop();
});

uploadTargetContract(
  "s3Target (moto_server)",
  async () => {
    const bucket = `contract-${++buckets}`;
    await createBucket(moto!.endpoint, bucket);
    return {
      target: s3Target({
        endpoint: moto!.endpoint, bucket, region: "us-east-1", prefix: "robots/r1/", partSize: 5 << 20,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      }),
      close: async () => {},
    };
  },
  12 << 20,
  skip,
);

test("the engine syncs a capture directory into the bucket and deletes only what HeadObject confirmed", { skip }, async () => {
  await withDir(async (dir) => {
    const bucket = "engine-e2e";
    await createBucket(moto!.endpoint, bucket);
    const target = s3Target({
      endpoint: moto!.endpoint, bucket, region: "us-east-1", partSize: 5 << 20,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const capture = join(dir, "capture");
    await mkdir(capture);
    const small = await writeRandomFile(join(capture, "s3_20261122T000000000Z_0000000001.mcap"), 100_000);
    const large = await writeRandomFile(join(capture, "s3_20261122T000000000Z_0000000002.mcap"), 11 << 20);
    const engine = createSyncEngine({ captureDir: capture, target, scanIntervalMs: 50, backoff: { initialMs: 5, maxMs: 50 } });
    await engine.syncNow();
    await engine.close();
    assert.deepEqual(await readdir(capture), []);
    const signal = new AbortController().signal;
    assert.deepEqual(await target.stat(small, signal), { sha256: small, size: 100_000 });
    assert.deepEqual(await target.stat(large, signal), { sha256: large, size: 11 << 20 });
  });
});
