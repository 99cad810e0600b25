/**
 * A pool of worker threads that run one task module: Node `worker_threads` under Node, the web `Worker` under
 * Deno. Tasks queue in order and go to the worker with the fewest tasks. Each worker holds up to
 * `tasksPerWorker` (default 2): it runs one and the next waits in its own message queue, so a worker that
 * finishes goes straight on to its next task instead of waiting for the thread that owns the pool, which may
 * be busy (a single writer inside a synchronous database call). The task module calls
 * `serveWorkerTasks(handler)` (see `worker_task.ts`).
 *
 * Under Node, a `.ts` task module (this repository run through tsx) starts through `worker_bootstrap.mjs`, which
 * registers tsx in the worker before importing it; a built `.js` module starts directly. Deno runs `.ts` workers
 * natively.
 *
 * @module
 */
import { InvalidOptionsError, MigrationAbortedError, WorkerFailedError } from "./errors.ts";

/** A pool of workers that each run the same task module. */
export interface WorkerPool<I, O> {
  /** How many workers the pool has. */
  readonly size: number;
  /** How many tasks the workers hold at once (`size` x `tasksPerWorker`): run that many concurrently to keep them all busy. */
  readonly capacity: number;
  /** Queues one task for the least loaded worker; resolves with the handler's result. */
  run(input: I): Promise<O>;
  /** Stops every worker; pending tasks reject. */
  close(): Promise<void>;
}

/** Options of `createWorkerPool`. */
export interface WorkerPoolOptions {
  /** How many workers; at least 1. */
  readonly size: number;
  /**
   * How many tasks a worker holds at once, at least 1 (default 2): the one it runs and the ones waiting in its
   * message queue. More than 1 keeps workers busy while the pool's own thread is busy.
   */
  readonly tasksPerWorker?: number;
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
  const perWorker = options.tasksPerWorker ?? 2;
  if (!Number.isSafeInteger(perWorker) || perWorker < 1) {
    throw new InvalidOptionsError(`tasksPerWorker must be an integer of at least 1, got ${String(perWorker)}`);
  }
  const threads: Thread[] = [];
  for (let i = 0; i < options.size; i++) threads.push(await startThread(entry));
  const queue: Task<I, O>[] = [];
  // The tasks each worker holds, by task id.
  const running = new Map<Thread, Map<number, Task<I, O>>>(threads.map((thread) => [thread, new Map()]));
  let failure: Error | undefined;
  let nextId = 0;

  const fail = (error: Error): void => {
    if (failure) return;
    failure = error;
    for (const task of [...[...running.values()].flatMap((held) => [...held.values()]), ...queue.splice(0)]) task.reject(error);
    for (const held of running.values()) held.clear();
    for (const thread of threads) void thread.terminate();
  };
  const dispatch = (): void => {
    while (!failure && queue.length > 0) {
      // The least loaded worker, if it has room.
      let target: Thread | undefined;
      let load = perWorker;
      for (const thread of threads) {
        const held = running.get(thread)!.size;
        if (held < load) {
          target = thread;
          load = held;
        }
      }
      if (!target) return;
      const task = queue.shift()!;
      running.get(target)!.set(task.id, task);
      target.post({ id: task.id, input: task.input });
    }
  };
  for (const thread of threads) {
    thread.onMessage((message) => {
      const reply = message as WorkerReply<O>;
      const held = running.get(thread)!;
      const task = held.get(reply.id);
      if (!task) return;
      held.delete(reply.id);
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
    capacity: threads.length * perWorker,
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
    ? new Worker(new URL("./worker_bootstrap.mjs", (import.meta as unknown as { url: string }).url), { workerData: { entry: entry.href } })
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
