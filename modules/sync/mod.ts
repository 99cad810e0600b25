/**
 * `@deckhand/sync`: ships every finished capture file to a target exactly once. Files are uploaded by a bounded
 * pool, hashed (SHA-256) while they are sent, resumed from what the target holds, and deleted locally only after
 * the target confirms the hash and size. Targets: a local directory, an HTTP ingest server, S3.
 *
 * @example
 * ```ts
 * import { createSyncEngine, directoryTarget } from "@deckhand/sync";
 *
 * const engine = createSyncEngine({
 *   captureDir: "/var/lib/deckhand/capture",
 *   target: directoryTarget("/var/lib/deckhand/uploaded"),
 *   onEvent: (event) => console.log(event),
 * });
 * await engine.syncNow();
 * console.log(engine.status());
 * await engine.close();
 * ```
 *
 * @module
 */
export { createSyncEngine } from "./sync_engine.ts";
export type { SyncEngine } from "./sync_engine.ts";
export type { BackoffOptions, SyncEngineOptions } from "./sync_options.ts";
export type { FailedFile, SyncEvent, SyncStatus } from "./sync_event.ts";
export { assertSha256, assertUploadKey, MAX_OBJECT_BYTES } from "./upload_target.ts";
export type { StoredObject, UploadRequest, UploadTarget } from "./upload_target.ts";
export { directoryTarget } from "./directory_target.ts";
export { httpTarget } from "./http_target.ts";
export { s3Target } from "./s3_target.ts";
export type { S3TargetOptions } from "./s3_target.ts";
export type { HttpTargetOptions } from "./http_target.ts";
export {
  EmptyFileError,
  FileChangedError,
  HashMismatchError,
  InvalidNameError,
  InvalidOptionsError,
  isTransient,
  SyncClosedError,
  SyncError,
  TargetRejectedError,
  TargetUnavailableError,
  UploadConflictError,
} from "./errors.ts";
