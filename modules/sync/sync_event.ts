/**
 * What the engine reports through `onEvent` and `status()`: connectivity changes, uploads, retries, failures,
 * and the status snapshot (plain, structured-clonable data).
 *
 * @module
 */

/** One thing that happened in the engine. */
export type SyncEvent =
  | { readonly type: "online" }
  | { readonly type: "offline"; readonly code: string; readonly message: string }
  | {
    readonly type: "uploaded";
    readonly name: string;
    readonly sha256: string;
    readonly size: number;
    readonly resumedFrom: number;
    readonly sentBytes: number;
    readonly ms: number;
  }
  | { readonly type: "retry"; readonly name: string; readonly attempt: number; readonly delayMs: number; readonly code: string; readonly message: string }
  | { readonly type: "failed"; readonly name: string; readonly code: string; readonly reason: string }
  | { readonly type: "vanished"; readonly name: string }
  | { readonly type: "scan-error"; readonly path: string; readonly message: string };

/** A file moved to `failed/`, and why. */
export interface FailedFile {
  readonly name: string;
  readonly reason: string;
}

/** The engine's state as plain data (for the status page, `GET /sync/status` and the SSE `sync` event). */
export interface SyncStatus {
  /** False while the target is unreachable (the engine probes it with backoff and comes back by itself). */
  readonly online: boolean;
  /** Files found and waiting for an upload slot. */
  readonly queued: number;
  /** Files being uploaded (or waiting to retry) right now. */
  readonly uploading: number;
  /** Files uploaded, confirmed and deleted locally since the engine started. */
  readonly uploadedFiles: number;
  /** Their total size in bytes. */
  readonly uploadedBytes: number;
  /** Transient failures retried since the engine started. */
  readonly retries: number;
  /** Files moved to `failed/` since the engine started. */
  readonly failed: number;
  /** The last error, if any. */
  readonly lastError: { readonly code: string; readonly message: string; readonly at: string } | null;
  /** Bytes sent per second over the last 5 seconds. */
  readonly bytesPerSecond: number;
  /** The most recent (up to 100) files moved to `failed/` since the engine started. */
  readonly failedFiles: readonly FailedFile[];
}
