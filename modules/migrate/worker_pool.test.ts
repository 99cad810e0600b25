import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidOptionsError, MigrationAbortedError, WorkerFailedError } from "./errors.ts";
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

test("a worker holds its next task while it runs one (tasksPerWorker), so it never waits for the pool's thread", async () => {
  // One worker. A slow task, then a fast one: held by the worker, the fast one runs while the slow one waits on
  // its timer and answers first; with one task per worker it waits for the slow one to finish.
  for (const [tasksPerWorker, firstDone] of [[2, "fast"], [1, "slow"]] as const) {
    const pool = await createWorkerPool<Input, Output>(ENTRY, { size: 1, tasksPerWorker });
    try {
      assert.equal(pool.capacity, tasksPerWorker);
      const order: string[] = [];
      await Promise.all([
        pool.run({ value: 1, delayMs: 300 }).then(() => order.push("slow")),
        pool.run({ value: 2 }).then(() => order.push("fast")),
      ]);
      assert.equal(order[0], firstDone, `tasksPerWorker ${tasksPerWorker}`);
    } finally {
      await pool.close();
    }
  }
  await assert.rejects(createWorkerPool(ENTRY, { size: 1, tasksPerWorker: 0 }), InvalidOptionsError);
});
