/**
 * `@deckhand/sync-service`: the sync engine in a worker thread (comlink), restarted with backoff if it dies.
 *
 * @example
 * ```ts
 * import { startSyncService } from "@deckhand/sync-service";
 * const sync = await startSyncService({ captureDir: "/data/capture", target: { kind: "directory", path: "/data/up" } });
 * ```
 */
export { startSyncService, SyncServiceError } from "./sync_service.ts";
export type { SyncService, SyncServiceOptions } from "./sync_service.ts";
export type { SyncServiceConfig, SyncTargetConfig } from "./sync_service_config.ts";
export type { SyncStatus } from "@deckhand/sync";
