import assert from "node:assert/strict";
import { test } from "node:test";
import { MigrationAbortedError, WorkerFailedError } from "./errors.ts";
import { createWorkerPool } from "./worker_pool.ts";

const ENTRY = new URL("./worker_pool_test_worker.ts", import.meta.url);
type Input = { value?: number; fail?: boolean; die?: boolean; delayMs?: number };
type Output = { doubled: number; thread: string };

test("a pool runs tasks on real worker threads and answers each task with its own result", async () => {
  const pool = await createWorkerPool<Input, Output>(ENTRY, { size: 3 });
  try {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run({ value: i, delayMs: i % 3 })));
    assert.deepEqual(results.map((r) => r.doubled), Array.from({ length: 20 }, (_, i) => i * 2));
    const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
    assert.equal(results[0]!.thread, isDeno ? "web worker" : "worker_threads");
  } finally {
    await pool.close();
  }
});

test("a handler that throws rejects only its task; the worker goes on", async () => {
  const pool = await createWorkerPool<Input, Output>(ENTRY, { size: 1 });
  try {
    await assert.rejects(pool.run({ fail: true }), (e: unknown) => e instanceof WorkerFailedError && /TypeError: bad task/.test(e.message));
    assert.equal((await pool.run({ value: 4 })).doubled, 8);
  } finally {
    await pool.close();
  }
});

test("a worker that dies fails the pool with WorkerFailedError", async () => {
  const pool = await createWorkerPool<Input, Output>(ENTRY, { size: 2 });
  try {
    await assert.rejects(pool.run({ die: true }), (e: unknown) => e instanceof WorkerFailedError && e.code === "MIGRATE_WORKER_FAILED");
    await assert.rejects(pool.run({ value: 1 }), WorkerFailedError, "a failed pool refuses further tasks");
  } finally {
    await pool.close();
  }
});

test("aborting the signal rejects pending tasks with MigrationAbortedError and stops the workers", async () => {
  const controller = new AbortController();
  const pool = await createWorkerPool<Input, Output>(ENTRY, { size: 1, signal: controller.signal });
  try {
    const pending = [pool.run({ value: 1, delayMs: 200 }), pool.run({ value: 2 })];
    controller.abort("shutdown");
    for (const task of pending) {
      await assert.rejects(task, (e: unknown) => e instanceof MigrationAbortedError && e.cause === "shutdown");
    }
  } finally {
    await pool.close();
  }
});
