/**
 * A pool of worker threads that run one task module: Node `worker_threads` under Node, the web `Worker` under
 * Deno. Each worker takes one task at a time; tasks queue in order and go to the next idle worker. The task
 * module calls `serveWorkerTasks(handler)` (see `worker_task.ts`).
 *
 * Under Node, a `.ts` task module (this repository run through tsx) starts through `worker_bootstrap.mjs`, which
 * registers tsx in the worker before importing it; a built `.js` module starts directly. Deno runs `.ts` workers
 * natively.
 *
 * @module
 */
import { WorkerFailedError, MigrationAbortedError } from "./errors.ts";

/** A pool of workers that each run the same task module. */
export interface WorkerPool<I, O> {
  /** How many workers the pool has. */
  readonly size: number;
  /** Runs one task on the next idle worker; resolves with the handler's result. */
  run(input: I): Promise<O>;
  /** Stops every worker; pending tasks reject. */
  close(): Promise<void>;
}

/** Options of `createWorkerPool`. */
export interface WorkerPoolOptions {
  /** How many workers; at least 1. */
  readonly size: number;
  /** Aborting stops every worker and rejects pending tasks with `MigrationAbortedError`. */
  readonly signal?: AbortSignal;
}

/** What a worker answers to a task. */
export type WorkerReply<O> =
  | { readonly id: number; readonly ok: true; readonly output: O }
  | { readonly id: number; readonly ok: false; readonly error: { readonly name: string; readonly message: string } };

interface Thread {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onFailure(listener: (error: Error) => void): void;
  terminate(): Promise<void>;
}

interface Task<I, O> {
  readonly id: number;
  readonly input: I;
  readonly resolve: (output: O) => void;
  readonly reject: (error: Error) => void;
}

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

/**
 * Starts `size` workers running the task module at `entry` (a file URL).
 *
 * @example
 * ```ts
 * const pool = await createWorkerPool<Uint8Array[], Decoded[]>(new URL("./v1_decode_worker.ts", import.meta.url), { size: 2 });
 * try {
 *   const decoded = await pool.run(blobs);
 * } finally {
 *   await pool.close();
 * }
 * ```
 */
export async function createWorkerPool<I, O>(entry: URL, options: WorkerPoolOptions): Promise<WorkerPool<I, O>> {
  const threads: Thread[] = [];
  for (let i = 0; i < options.size; i++) threads.push(await startThread(entry));
  const idle = [...threads];
  const queue: Task<I, O>[] = [];
  const running = new Map<Thread, Task<I, O>>();
  let failure: Error | undefined;
  let nextId = 0;

  const fail = (error: Error): void => {
    if (failure) return;
    failure = error;
    for (const task of [...running.values(), ...queue.splice(0)]) task.reject(error);
    running.clear();
    for (const thread of threads) void thread.terminate();
  };
  const dispatch = (): void => {
    while (!failure && idle.length > 0 && queue.length > 0) {
      const thread = idle.pop()!;
      const task = queue.shift()!;
      running.set(thread, task);
      thread.post({ id: task.id, input: task.input });
    }
  };
  for (const thread of threads) {
    thread.onMessage((message) => {
      const reply = message as WorkerReply<O>;
      const task = running.get(thread);
      if (!task || task.id !== reply.id) return;
      running.delete(thread);
      idle.push(thread);
      if (reply.ok) task.resolve(reply.output);
      else task.reject(new WorkerFailedError(`a worker task failed: ${reply.error.name}: ${reply.error.message}`));
      dispatch();
    });
    thread.onFailure((error) => fail(new WorkerFailedError(`a worker died: ${error.message}`, { cause: error })));
  }
  const onAbort = (): void => fail(new MigrationAbortedError("the migration was aborted", { cause: options.signal?.reason }));
  options.signal?.addEventListener("abort", onAbort, { once: true });

  return {
    size: threads.length,
    run(input: I): Promise<O> {
      if (failure) return Promise.reject(failure);
      return new Promise<O>((resolve, reject) => {
        queue.push({ id: nextId++, input, resolve, reject });
        dispatch();
      });
    },
    async close(): Promise<void> {
      options.signal?.removeEventListener("abort", onAbort);
      if (!failure) fail(new WorkerFailedError("the worker pool was closed"));
      await Promise.all(threads.map((thread) => thread.terminate()));
    },
  };
}

async function startThread(entry: URL): Promise<Thread> {
  if (isDeno) return startWebWorker(entry);
  const { Worker } = await import("node:worker_threads");
  const viaBootstrap = entry.pathname.endsWith(".ts");
  const worker = viaBootstrap
    ? new Worker(new URL("./worker_bootstrap.mjs", import.meta.url), { workerData: { entry: entry.href } })
    : new Worker(entry);
  let terminated: Promise<void> | undefined;
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => void worker.on("message", listener),
    onFailure: (listener) => {
      worker.on("error", listener);
      worker.on("exit", (code) => {
        if (!terminated) listener(new Error(`the worker exited with code ${code}`));
      });
    },
    terminate: () => (terminated ??= worker.terminate().then(() => undefined)),
  };
}

interface WebWorker {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "error", listener: (event: { message?: string; preventDefault(): void }) => void): void;
  terminate(): void;
}

function startWebWorker(entry: URL): Thread {
  const WorkerClass = (globalThis as unknown as { Worker: new (url: URL, options: { type: "module" }) => WebWorker }).Worker;
  const worker = new WorkerClass(entry, { type: "module" });
  let terminated = false;
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.addEventListener("message", (event) => listener(event.data)),
    onFailure: (listener) =>
      worker.addEventListener("error", (event) => {
        event.preventDefault();
        if (!terminated) listener(new Error(event.message ?? "worker error"));
      }),
    terminate: () => {
      terminated = true;
      worker.terminate();
      return Promise.resolve();
    },
  };
}
