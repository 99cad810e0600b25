import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { appendFile, mkdir, readdir, readFile, rename, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createSyncEngine,
  directoryTarget,
  InvalidOptionsError,
  type SyncEvent,
  TargetRejectedError,
  TargetUnavailableError,
  type UploadRequest,
  type UploadTarget,
} from "./mod.ts";
import { withDir, writeRandomFile } from "./temp_dir_test_support.ts";

const fast = { scanIntervalMs: 20, backoff: { initialMs: 2, maxMs: 20 } };

function name(n: number, suffix = ".mcap"): string {
  return `temp_20261122T000000000Z_${String(n).padStart(10, "0")}${suffix}`;
}

async function objects(root: string): Promise<string[]> {
  return (await readdir(join(root, "objects"))).sort();
}

/** Wraps a target, counting puts per key and letting a test inject behaviour before each put. */
function instrumented(inner: UploadTarget, before?: (request: UploadRequest, n: number) => Promise<void> | void) {
  const puts: { key: string; offset: number }[] = [];
  const target: UploadTarget = {
    description: `instrumented ${inner.description}`,
    resumeOffset: (key, size, signal) => inner.resumeOffset(key, size, signal),
    async put(request) {
      puts.push({ key: request.key, offset: request.offset });
      await before?.(request, puts.length);
      return inner.put(request);
    },
    stat: (sha, signal) => inner.stat(sha, signal),
    probe: (signal) => inner.probe(signal),
  };
  return { target, puts };
}

test("uploads finished files only, confirms each hash and size, then deletes them locally", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    const store = join(dir, "store");
    await mkdir(capture);
    const hashes = [
      await writeRandomFile(join(capture, name(1)), 5000),
      await writeRandomFile(join(capture, name(2)), 3 << 20),
    ];
    await writeRandomFile(join(capture, name(3, ".mcap.part")), 4000);
    await writeRandomFile(join(capture, "notes.txt"), 10);
    const engine = createSyncEngine({ captureDir: capture, target: directoryTarget(store), ...fast });
    await engine.syncNow();
    await engine.close();
    assert.deepEqual(await objects(store), [...hashes].sort());
    assert.deepEqual((await readdir(capture)).sort(), ["notes.txt", name(3, ".mcap.part")]);
    const status = engine.status();
    assert.equal(status.uploadedFiles, 2);
    assert.equal(status.uploadedBytes, 5000 + (3 << 20));
    assert.equal(status.failed, 0);
  });
});

test("the same bytes uploaded from two files are stored once", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    await writeFile(join(capture, name(1)), "same bytes");
    await writeFile(join(capture, name(2)), "same bytes");
    const engine = createSyncEngine({ captureDir: capture, target: directoryTarget(join(dir, "store")), ...fast });
    await engine.syncNow();
    await engine.close();
    assert.equal((await objects(join(dir, "store"))).length, 1);
    assert.equal(engine.status().uploadedFiles, 2);
    assert.deepEqual(await readdir(capture), []);
  });
});

test("a zero-byte file goes to failed/ with a JSON note of why, and is not retried", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    await writeFile(join(capture, name(1)), "");
    const { target, puts } = instrumented(directoryTarget(join(dir, "store")));
    const engine = createSyncEngine({ captureDir: capture, target, ...fast });
    await engine.syncNow();
    await engine.syncNow();
    await engine.close();
    const note = JSON.parse(await readFile(join(capture, "failed", `${name(1)}.json`), "utf8"));
    assert.equal(note.code, "SYNC_EMPTY_FILE");
    assert.match(note.reason, /empty/);
    assert.ok(existsSync(join(capture, "failed", name(1))));
    assert.equal(puts.length, 0);
    assert.deepEqual(engine.status().failedFiles.map((f) => f.name), [name(1)]);
  });
});

test("nonsense options are refused with SYNC_INVALID_OPTIONS", () => {
  const target = directoryTarget("/tmp/never-used");
  const bad: Record<string, unknown>[] = [
    { concurrency: 0 },
    { concurrency: -1 },
    { concurrency: 1.5 },
    { scanIntervalMs: -5 },
    { scanIntervalMs: Number.NaN },
    { fileQuietMs: -1 },
    { backoff: { initialMs: 0 } },
    { backoff: { initialMs: 100, maxMs: 10 } },
    { bandwidthBytesPerSec: 0 },
    { captureDir: "" },
    { target: {} },
    { failedDir: "/data/capture" },
  ];
  for (const extra of bad) {
    assert.throws(
      () => createSyncEngine({ captureDir: "/data/capture", target, ...extra } as never),
      (error: unknown) => error instanceof InvalidOptionsError && error.code === "SYNC_INVALID_OPTIONS",
      JSON.stringify(extra),
    );
  }
});

test("transient errors retry with backoff; an unreachable target makes the engine offline until a probe succeeds", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    const hash = await writeRandomFile(join(capture, name(1)), 10_000);
    const inner = directoryTarget(join(dir, "store"));
    let probes = 0;
    const { target, puts } = instrumented(inner, (_request, n) => {
      if (n === 1) throw new TargetUnavailableError("503", { unreachable: false, status: 503 });
      if (n === 2) throw new TargetUnavailableError("connection refused", { unreachable: true });
    });
    const events: SyncEvent[] = [];
    const engine = createSyncEngine({
      captureDir: capture,
      target: { ...target, probe: async (signal) => { probes++; if (probes < 3) throw new TargetUnavailableError("down", { unreachable: true }); await inner.probe(signal); } },
      onEvent: (e) => events.push(e),
      ...fast,
    });
    while (engine.status().uploadedFiles === 0) await engine.syncNow();
    await engine.close();
    assert.deepEqual(await objects(join(dir, "store")), [hash]);
    assert.equal(puts.length, 3);
    assert.equal(engine.status().retries, 2);
    assert.ok(probes >= 3);
    const kinds = events.map((e) => e.type);
    assert.ok(kinds.indexOf("offline") < kinds.indexOf("online"), kinds.join(","));
    assert.equal(engine.status().online, true);
  });
});

test("a terminal target error moves the file to failed/ with the reason", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    await writeRandomFile(join(capture, name(1)), 100);
    const { target } = instrumented(directoryTarget(join(dir, "store")), () => {
      throw new TargetRejectedError("403 forbidden: bad token", { status: 403 });
    });
    const engine = createSyncEngine({ captureDir: capture, target, ...fast });
    await engine.syncNow();
    await engine.close();
    const note = JSON.parse(await readFile(join(capture, "failed", `${name(1)}.json`), "utf8"));
    assert.equal(note.code, "SYNC_TARGET_REJECTED");
    assert.match(note.reason, /bad token/);
    assert.equal(engine.status().failed, 1);
  });
});

test("a file that changes while it is uploaded goes to failed/ and is not deleted", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    const path = join(capture, name(1));
    await writeRandomFile(path, 4 << 20);
    const { target } = instrumented(directoryTarget(join(dir, "store")), async () => {
      await appendFile(path, "more");
    });
    const engine = createSyncEngine({ captureDir: capture, target, ...fast });
    await engine.syncNow();
    await engine.close();
    const note = JSON.parse(await readFile(join(capture, "failed", `${name(1)}.json`), "utf8"));
    assert.equal(note.code, "SYNC_FILE_CHANGED");
    assert.deepEqual(await objects(join(dir, "store")), []);
  });
});

test("a file queued or uploading is never queued again, however often the directory is scanned", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    for (let i = 1; i <= 12; i++) await writeRandomFile(join(capture, name(i)), 2000 + i);
    const { target, puts } = instrumented(directoryTarget(join(dir, "store")), async () => {
      await new Promise((r) => setTimeout(r, 15));
    });
    const engine = createSyncEngine({ captureDir: capture, target, concurrency: 3, scanIntervalMs: 1 });
    while (engine.status().uploadedFiles < 12) await engine.syncNow();
    await engine.close();
    assert.equal(puts.length, 12);
    assert.equal(new Set(puts.map((p) => p.key)).size, 12);
  });
});

test("close() aborts an in-flight upload promptly and keeps the file; the next engine resumes it", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    const size = 6 << 20;
    const hash = await writeRandomFile(join(capture, name(1)), size);
    const store = join(dir, "store");
    let stalled!: () => void;
    const reachedStall = new Promise<void>((r) => (stalled = r));
    const { target } = instrumented(directoryTarget(store), (request) => {
      const body = request.body;
      // Let 2 MB through, then stall until the upload is aborted.
      (request as { body: AsyncIterable<Uint8Array> }).body = (async function* () {
        let sent = 0;
        for await (const chunk of body) {
          yield chunk;
          sent += chunk.byteLength;
          if (sent >= 2 << 20) {
            stalled();
            await new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason)));
          }
        }
      })();
    });
    const engine = createSyncEngine({ captureDir: capture, target, ...fast });
    await reachedStall;
    await engine.close();
    assert.ok(existsSync(join(capture, name(1))), "the file stays until confirmed");
    assert.deepEqual(await objects(store), []);
    const second = instrumented(directoryTarget(store));
    const events: SyncEvent[] = [];
    const again = createSyncEngine({ captureDir: capture, target: second.target, onEvent: (e) => events.push(e), ...fast });
    await again.syncNow();
    await again.close();
    assert.deepEqual(await objects(store), [hash]);
    const uploaded = events.find((e) => e.type === "uploaded");
    assert.ok(uploaded && uploaded.type === "uploaded");
    assert.ok(uploaded.resumedFrom >= 2 << 20, `resumed from ${uploaded.resumedFrom}`);
    assert.equal(uploaded.sentBytes, size - uploaded.resumedFrom);
  });
});

test("additional paths are synced once their files stay unmodified for fileQuietMs", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    const logs = join(dir, "logs");
    await mkdir(join(logs, "nested"), { recursive: true });
    const fresh = join(logs, "nested", "fresh.log");
    const old = join(logs, "old.log");
    await writeFile(fresh, "still being written");
    const oldHash = await writeRandomFile(old, 300);
    const past = new Date(Date.now() - 60_000);
    await utimes(old, past, past);
    const engine = createSyncEngine({
      captureDir: capture, additionalPaths: [logs], fileQuietMs: 30_000, target: directoryTarget(join(dir, "store")), ...fast,
    });
    await engine.syncNow();
    assert.deepEqual(await objects(join(dir, "store")), [oldHash]);
    assert.ok(existsSync(fresh));
    await utimes(fresh, past, past);
    await engine.syncNow();
    await engine.close();
    assert.equal((await objects(join(dir, "store"))).length, 2);
    assert.ok(!existsSync(fresh));
  });
});

test("reconfigure() switches to a new target without losing a file", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    const down: UploadTarget = {
      ...directoryTarget(join(dir, "a")),
      put: () => Promise.reject(new TargetUnavailableError("no route", { unreachable: true })),
      probe: () => Promise.reject(new TargetUnavailableError("no route", { unreachable: true })),
    };
    const hash = await writeRandomFile(join(capture, name(1)), 1234);
    const engine = createSyncEngine({ captureDir: capture, target: down, ...fast });
    await engine.syncNow();
    assert.equal(engine.status().online, false);
    await assert.rejects(engine.reconfigure({ concurrency: 0 }), InvalidOptionsError);
    await engine.reconfigure({ target: directoryTarget(join(dir, "b")) });
    await engine.syncNow();
    await engine.close();
    assert.deepEqual(await objects(join(dir, "b")), [hash]);
    assert.deepEqual(await readdir(capture), []);
  });
});

test("syncNow() answers while the target is offline instead of waiting for it to come back", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    await writeRandomFile(join(capture, name(1)), 100);
    const down = new TargetUnavailableError("connection refused", { unreachable: true });
    const target: UploadTarget = {
      ...directoryTarget(join(dir, "store")),
      put: () => Promise.reject(down),
      probe: () => Promise.reject(down),
    };
    const engine = createSyncEngine({ captureDir: capture, target, ...fast });
    await engine.syncNow();
    await engine.syncNow();
    await engine.syncNow();
    const status = engine.status();
    await engine.close();
    assert.equal(status.online, false);
    assert.equal(status.lastError?.code, "SYNC_TARGET_UNAVAILABLE");
    assert.ok(existsSync(join(capture, name(1))));
  });
});

test("a failing file from a nested additional path lands in failed/ under a flat name", async () => {
  await withDir(async (dir) => {
    const logs = join(dir, "logs");
    await mkdir(join(logs, "a", "b"), { recursive: true });
    await writeFile(join(logs, "a", "b", "empty.log"), "");
    const past = new Date(Date.now() - 60_000);
    await utimes(join(logs, "a", "b", "empty.log"), past, past);
    const failedDir = join(dir, "failed");
    const engine = createSyncEngine({
      captureDir: join(dir, "capture"), additionalPaths: [logs], failedDir, target: directoryTarget(join(dir, "store")), ...fast,
    });
    await engine.syncNow();
    await engine.close();
    assert.deepEqual((await readdir(failedDir)).sort(), ["logs__a__b__empty.log", "logs__a__b__empty.log.json"]);
    assert.equal(engine.status().failed, 1);
  });
});

test("aborting the signal closes the engine: the in-flight upload stops and later calls are refused", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    await writeRandomFile(join(capture, name(1)), 3 << 20);
    const controller = new AbortController();
    let started!: () => void;
    const putStarted = new Promise<void>((resolve) => (started = resolve));
    const { target } = instrumented(directoryTarget(join(dir, "store")), async (request) => {
      started();
      await new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason)));
    });
    const engine = createSyncEngine({ captureDir: capture, target, signal: controller.signal, ...fast });
    await putStarted;
    controller.abort();
    await assert.rejects(engine.syncNow(), { code: "SYNC_CLOSED" });
    await engine.close();
    assert.ok(existsSync(join(capture, name(1))));
    assert.equal(engine.status().uploadedFiles, 0);
  });
});

test("a file replaced by another under its name while it uploads (same size and time) goes to failed/; neither is deleted", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    const path = join(capture, name(1));
    await writeRandomFile(path, 64 << 10);
    const { mtime } = await stat(path);
    const { target } = instrumented(directoryTarget(join(dir, "store")), async () => {
      // Another file takes the name (a rename over it), with the same size and modification time.
      const other = join(dir, "other.mcap");
      await writeRandomFile(other, 64 << 10);
      await utimes(other, mtime, mtime);
      await rename(other, path);
    });
    const replacement = async () => await readFile(join(capture, "failed", name(1)));
    const engine = createSyncEngine({ captureDir: capture, target, ...fast });
    await engine.syncNow();
    await engine.close();
    const note = JSON.parse(await readFile(join(capture, "failed", `${name(1)}.json`), "utf8"));
    assert.equal(note.code, "SYNC_FILE_CHANGED");
    assert.equal((await replacement()).byteLength, 64 << 10, "the file now at that name is kept, in failed/");
    assert.deepEqual(await objects(join(dir, "store")), [], "nothing confirmed, nothing stored");
  });
});

test("many workers uploading at once raise no listener-leak warning", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    for (let i = 1; i <= 40; i++) await writeRandomFile(join(capture, name(i)), 1000 + i);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    try {
      const { target } = instrumented(directoryTarget(join(dir, "store")), async () => {
        await new Promise((r) => setTimeout(r, 5));
      });
      const engine = createSyncEngine({ captureDir: capture, target, concurrency: 16, ...fast });
      await engine.syncNow();
      await engine.close();
      assert.equal(engine.status().uploadedFiles, 40);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", onWarning);
    }
    assert.deepEqual(warnings.filter((w) => w.includes("MaxListeners")), []);
  });
});

test("a file that keeps failing with a transient error does not hold the worker: the others go first, and syncNow() answers", async () => {
  await withDir(async (dir) => {
    const capture = join(dir, "capture");
    await mkdir(capture);
    for (let n = 1; n <= 3; n++) await writeRandomFile(join(capture, name(n)), 5_000);
    // One worker; the first file put (the first by name) fails five times, as on a target with no room for it.
    let failingKey: string | undefined;
    let failures = 0;
    const store = directoryTarget(join(dir, "store"));
    const events: SyncEvent[] = [];
    const engine = createSyncEngine({
      captureDir: capture,
      concurrency: 1,
      target: {
        ...store,
        async put(request) {
          failingKey ??= request.key;
          if (request.key === failingKey && failures < 5) {
            failures++;
            for await (const _chunk of request.body) {
              // The body is read, as a real target would before failing.
            }
            throw new TargetUnavailableError("503", { unreachable: false, status: 503 });
          }
          return store.put(request);
        },
      },
      scanIntervalMs: 20,
      backoff: { initialMs: 40, maxMs: 80 },
      onEvent: (e) => events.push(e),
    });
    try {
      await engine.syncNow();
      const deadline = Date.now() + 10_000;
      while (engine.status().uploadedFiles < 3 && Date.now() < deadline) await engine.syncNow();
    } finally {
      await engine.close();
    }
    const uploaded = events.flatMap((e) => (e.type === "uploaded" ? [e.name] : []));
    assert.deepEqual(uploaded, [name(2), name(3), name(1)], "the failing file was retried after the others, not before them");
    assert.equal(failures, 5);
    assert.equal(engine.status().retries, 5);
  });
});
