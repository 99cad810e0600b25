// The sync engine uploading through a proxy that injects 500s, dropped connections, stalls and cuts midway into
// large uploads: everything still arrives, exactly the right bytes, and resumed uploads never resend what the
// ingest server already held.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSyncEngine, directoryTarget, httpTarget, type UploadTarget } from "@deckhand/sync";
import { startFaultyProxy, seeded } from "./faulty_proxy_test_support.ts";
import { startIngestServer } from "./mod.ts";

test("a flaky target still receives every file once, and resumed uploads do not resend held bytes", async () => {
  const root = await mkdtemp(join(tmpdir(), "deckhand-flaky-"));
  const capture = join(root, "capture");
  const storeDir = join(root, "store");
  await mkdir(capture);
  const expected = new Map<string, number>();
  for (let i = 1; i <= 24; i++) {
    const size = i % 8 === 0 ? (8 << 20) + i : 1000 + i * 1777;
    const bytes = randomBytes(size);
    await writeFile(join(capture, `flaky_20261122T000000000Z_${String(i).padStart(10, "0")}.mcap`), bytes);
    expected.set(createHash("sha256").update(bytes).digest("hex"), size);
  }
  // The store records, for every PUT the server starts, how many bytes of that upload it already held.
  const inner = directoryTarget(storeDir);
  const resent: { key: string; held: number; offset: number }[] = [];
  const store: UploadTarget = {
    ...inner,
    async put(request) {
      const held = await inner.resumeOffset(request.key, request.size, request.signal).catch(() => undefined);
      if (held !== undefined && held > request.offset) resent.push({ key: request.key, held, offset: request.offset });
      return inner.put(request);
    },
  };
  const received = new Map<string, number>();
  let resumedPuts = 0;
  const server = await startIngestServer({
    host: "127.0.0.1", port: 0, store, token: "tok", idleTimeoutMs: 1000,
    onRequest: (info) => {
      if (!info.upload) return;
      received.set(info.upload.key, (received.get(info.upload.key) ?? 0) + info.upload.receivedBytes);
      if (info.upload.offset > 0 && info.upload.receivedBytes > 0) resumedPuts++;
    },
  });
  const proxy = await startFaultyProxy(Number(new URL(server.url).port), seeded(16));
  const engine = createSyncEngine({
    captureDir: capture,
    target: httpTarget({ url: proxy.url, token: "tok", idleTimeoutMs: 400 }),
    concurrency: 3,
    scanIntervalMs: 50,
    backoff: { initialMs: 5, maxMs: 100 },
  });
  try {
    while (engine.status().uploadedFiles < expected.size) await engine.syncNow();
    const objects = await readdir(join(storeDir, "objects"));
    assert.deepEqual(objects.sort(), [...expected.keys()].sort());
    assert.deepEqual(await readdir(capture), []);
    assert.deepEqual(resent, [], "no upload started below what the server held");
    const totalReceived = [...received.values()].reduce((a, b) => a + b, 0);
    const totalSize = [...expected.values()].reduce((a, b) => a + b, 0);
    assert.equal(totalReceived, totalSize, "the server stored every byte exactly once");
    assert.ok(resumedPuts > 0, "some upload resumed midway");
    for (const mode of ["ok", "500", "drop", "stall", "cut"] as const) assert.ok(proxy.modes[mode] > 0, `the proxy injected ${mode}`);
    assert.ok(engine.status().retries > 0);
  } finally {
    await engine.close();
    await proxy.close();
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
});
