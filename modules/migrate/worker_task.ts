/**
 * The worker side of `createWorkerPool`: a task module calls `serveWorkerTasks(handler)` once at its top level,
 * and the pool's tasks arrive as `handler(input)` calls, one at a time. Works in a Node worker thread and in a
 * Deno web worker.
 *
 * @module
 */
import type { WorkerReply } from "./worker_pool.ts";

interface Port {
  post(message: unknown): void;
  listen(listener: (message: unknown) => void): void;
}

/**
 * Answers the pool's tasks with `handler`. A handler that throws answers with the error's name and message
 * (the pool rejects that task); it never kills the worker.
 *
 * @example
 * ```ts
 * serveWorkerTasks((rows: readonly V1Row[]) => rows.map(decodeV1Row));
 * ```
 */
export async function serveWorkerTasks<I, O>(handler: (input: I) => O | Promise<O>): Promise<void> {
  const port = await workerPort();
  port.listen(async (message) => {
    const { id, input } = message as { id: number; input: I };
    let reply: WorkerReply<O>;
    try {
      reply = { id, ok: true, output: await handler(input) };
    } catch (error) {
      const { name, message: text } = error instanceof Error ? error : { name: "Error", message: String(error) };
      reply = { id, ok: false, error: { name, message: text } };
    }
    port.post(reply);
  });
}

async function workerPort(): Promise<Port> {
  if (typeof (globalThis as { Deno?: unknown }).Deno !== "undefined") {
    const scope = globalThis as unknown as {
      postMessage(message: unknown): void;
      addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
    };
    return {
      post: (message) => scope.postMessage(message),
      listen: (listener) => scope.addEventListener("message", (event) => listener(event.data)),
    };
  }
  const { parentPort } = await import("node:worker_threads");
  if (!parentPort) throw new Error("serveWorkerTasks must run inside a worker thread");
  return { post: (message) => parentPort.postMessage(message), listen: (listener) => void parentPort.on("message", listener) };
}
