/** Test worker (not published): echoes tasks; `{ fail: true }` throws in the handler; `{ die: true }` kills the worker (an uncaught error under Deno, `process.exit` under Node). */
import process from "node:process";
import { serveWorkerTasks } from "./worker_task.ts";

await serveWorkerTasks(async (input: { value?: number; fail?: boolean; die?: boolean; delayMs?: number }) => {
  if (input.delayMs) await new Promise((resolve) => setTimeout(resolve, input.delayMs));
  if (input.fail) throw new TypeError("bad task");
  if (input.die) {
    // An uncaught error outside the handler kills a Deno web worker; a Node worker thread exits.
    if (typeof (globalThis as { Deno?: unknown }).Deno !== "undefined") setTimeout(() => { throw new Error("worker crash"); }, 0);
    else process.exit(3);
    await new Promise(() => {});
  }
  return { doubled: (input.value ?? 0) * 2, thread: typeof (globalThis as { Deno?: unknown }).Deno !== "undefined" ? "web worker" : "worker_threads" };
});
