/**
 * The worker thread's side: runs one sync engine and exposes it over comlink as {@link SyncWorkerApi}. Started by
 * `worker_bootstrap.mjs` (which registers tsx first). Logs connectivity changes and failures to stdout, one line each.
 */
import { parentPort } from "node:worker_threads";
import { expose, transferHandlers } from "comlink";
import { createSyncEngine, type SyncEngine, type SyncEvent, type SyncStatus } from "@deckhand/sync";
import { nodeEndpoint } from "./comlink_endpoint.ts";
import { engineOptions, type SyncServiceConfig } from "./sync_service_config.ts";

/** What the host calls in the worker. Status travels as plain data; file events never cross one by one. */
export interface SyncWorkerApi {
  start(config: SyncServiceConfig): Promise<void>;
  status(): Promise<SyncStatus>;
  syncNow(): Promise<void>;
  reconfigure(config: SyncServiceConfig): Promise<void>;
  stop(): Promise<void>;
  /** Ends the worker thread at once, as a crash would (fault drills and tests). */
  crash(): void;
}

function log(event: SyncEvent): void {
  if (event.type === "online" || event.type === "offline" || event.type === "failed" || event.type === "scan-error") {
    console.log(`[sync] ${JSON.stringify(event)}`);
  }
}

// comlink sends a thrown Error as { message, name, stack }; keep its stable `code` too (the host re-creates the
// error with every field the wire value carries), so callers can switch on SYNC_ codes across the thread boundary.
const throwHandler = transferHandlers.get("throw")!;
transferHandlers.set("throw", {
  canHandle: (value): value is unknown => throwHandler.canHandle(value),
  serialize(value) {
    const [wire, transfer] = throwHandler.serialize(value);
    const error = (value as { value?: unknown }).value;
    const code = (error as { code?: unknown } | undefined)?.code;
    if (error instanceof Error && typeof code === "string") (wire as { value: Record<string, unknown> }).value.code = code;
    return [wire, transfer];
  },
  deserialize: (wire) => throwHandler.deserialize(wire),
});

let engine: SyncEngine | undefined;

const api: SyncWorkerApi = {
  async start(config) {
    if (engine) throw new Error("the sync worker is already started");
    engine = createSyncEngine({ ...engineOptions(config), onEvent: log });
  },
  async status() {
    if (!engine) throw new Error("the sync worker is not started");
    return engine.status();
  },
  async syncNow() {
    if (!engine) throw new Error("the sync worker is not started");
    await engine.syncNow();
  },
  async reconfigure(config) {
    if (!engine) throw new Error("the sync worker is not started");
    await engine.reconfigure(engineOptions(config));
  },
  async stop() {
    await engine?.close();
    engine = undefined;
  },
  crash() {
    process.exit(70);
  },
};

if (!parentPort) throw new Error("sync_worker.ts runs inside a worker thread");
expose(api, nodeEndpoint(parentPort));
