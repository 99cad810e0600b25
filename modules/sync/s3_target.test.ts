// The UploadTarget contract against s3Target on a real moto_server (started here on a free port).
import { after, before } from "node:test";
import { s3Target } from "./mod.ts";
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
  false,
);
