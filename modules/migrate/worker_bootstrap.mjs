// Starts a TypeScript worker module under Node: registers the tsx loader in this worker thread, then imports the
// entry named in workerData. Only used when the module runs from its .ts sources (this repository); the built
// package starts its .js workers directly, and Deno runs .ts workers natively.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
