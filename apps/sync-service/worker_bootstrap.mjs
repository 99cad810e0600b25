// Worker entry: Node 20 cannot start a .ts worker with execArgv ["--import", "tsx"], so register tsx's loader
// inside the worker, then import the TypeScript entry named in workerData.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
