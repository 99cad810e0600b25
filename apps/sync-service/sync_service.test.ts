import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSyncService } from "./mod.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-sync-service-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeFiles(dir: string, from: number, count: number): Promise<string[]> {
  const hashes: string[] = [];
  for (let i = from; i < from + count; i++) {
    const bytes = randomBytes(1000 + i * 100);
    await writeFile(join(dir, `svc_20261122T000000000Z_${String(i).padStart(10, "0")}.mcap`), bytes);
    hashes.push(createHash("sha256").update(bytes).digest("hex"));
  }
  return hashes;
}

test("the engine runs in a worker thread: files are uploaded and status arrives as plain data", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    const hashes = await writeFiles(capture, 1, 5);
    const service = await startSyncService({ captureDir: capture, target: { kind: "directory", path: join(dir, "up") }, scanIntervalMs: 50 });
    try {
      await service.syncNow();
      const status = await service.status();
      assert.equal(status.uploadedFiles, 5);
      assert.equal(status.online, true);
      assert.deepEqual((await readdir(join(dir, "up", "objects"))).sort(), hashes.sort());
      assert.deepEqual(await readdir(capture), []);
    } finally {
      await service.stop();
    }
    await assert.rejects(service.status(), { code: "SYNC_SERVICE_STOPPED" });
  });
});

test("the service restarts a crashed worker with backoff and the new engine uploads what is left", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    const events: string[] = [];
    const service = await startSyncService(
      { captureDir: capture, target: { kind: "directory", path: join(dir, "up") }, scanIntervalMs: 50 },
      { restartBackoff: { initialMs: 10, maxMs: 50 }, onWorkerEvent: (e) => events.push(e.type) },
    );
    try {
      const first = await writeFiles(capture, 1, 3);
      await service.syncNow();
      await service.crashWorker();
      // A call made while the worker is down waits for the restart instead of hanging on the dead worker.
      const second = await writeFiles(capture, 10, 3);
      await service.syncNow();
      assert.equal(service.restarts, 1);
      assert.deepEqual(events, ["exit", "restarted"]);
      assert.equal((await service.status()).uploadedFiles, 3, "the new engine's own count");
      assert.deepEqual((await readdir(join(dir, "up", "objects"))).sort(), [...first, ...second].sort());
      assert.deepEqual(await readdir(capture), []);
    } finally {
      await service.stop();
    }
  });
});

test("reconfigure() moves the worker's engine to a new target", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    const service = await startSyncService({ captureDir: capture, target: { kind: "directory", path: join(dir, "a") }, scanIntervalMs: 50 });
    try {
      await assert.rejects(
        service.reconfigure({ captureDir: capture, target: { kind: "directory", path: join(dir, "b") }, concurrency: -1 }),
        { code: "SYNC_INVALID_OPTIONS", message: /concurrency/ },
      );
      await service.reconfigure({ captureDir: capture, target: { kind: "directory", path: join(dir, "b") }, scanIntervalMs: 50 });
      const hashes = await writeFiles(capture, 1, 2);
      await service.syncNow();
      assert.deepEqual((await readdir(join(dir, "b", "objects"))).sort(), hashes.sort());
    } finally {
      await service.stop();
    }
  });
});
