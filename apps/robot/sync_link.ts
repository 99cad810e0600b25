/**
 * The robot app's link to the sync service (which uploads finished capture files). The one place where
 * `@deckhand/sync-service` is wired in.
 *
 * STAND-IN: the sync service (issue 16) is not merged yet. Until it is, `startSyncLink` returns a link that
 * uploads nothing and says so in its status (`lastError`); `POST /sync/now` answers 503. Wiring the real
 * service in is `startSyncService({ captureDir, failedDir, target })` in `startSyncLink`.
 *
 * @module
 */
import { readdir } from "node:fs/promises";
import type { SyncTargetSetting } from "./config.ts";
import { SyncUnavailableError } from "./errors.ts";

/** The sync service's status, as plain data (the shape of `@deckhand/sync`'s `SyncStatus`). */
export interface SyncStatus {
  readonly online: boolean;
  readonly queued: number;
  readonly uploading: number;
  readonly uploadedFiles: number;
  readonly uploadedBytes: number;
  readonly retries: number;
  readonly failed: number;
  readonly lastError: string | null;
  readonly bytesPerSecond: number;
  readonly failedFiles: readonly { readonly name: string; readonly reason: string }[];
}

/** The running sync service, as the app sees it. */
export interface SyncLink {
  /** False for the stand-in (nothing uploads). */
  readonly available: boolean;
  status(): Promise<SyncStatus>;
  /** Scans and uploads now. Throws `SyncUnavailableError` when there is no sync service. */
  syncNow(): Promise<void>;
  stop(): Promise<void>;
}

/** Options of `startSyncLink`. */
export interface SyncLinkOptions {
  readonly captureDir: string;
  readonly failedDir: string;
  readonly target: SyncTargetSetting;
}

/**
 * Starts the sync service for the capture directory.
 *
 * @example
 * ```ts
 * const sync = await startSyncLink({ captureDir, failedDir, target: { kind: "directory", path: "/mnt/usb" } });
 * console.log(await sync.status());
 * await sync.stop();
 * ```
 */
export async function startSyncLink(options: SyncLinkOptions): Promise<SyncLink> {
  const reason = options.target.kind === "none"
    ? "sync is turned off (--sync-target none)"
    : "the sync service is not wired into this build yet (stand-in: finished capture files stay in the capture directory)";
  return {
    available: false,
    async status() {
      let queued = 0;
      for (const name of await readdir(options.captureDir).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return [] as string[];
        throw error;
      })) {
        if (name.endsWith(".mcap")) queued++;
      }
      return {
        online: false, queued, uploading: 0, uploadedFiles: 0, uploadedBytes: 0, retries: 0, failed: 0,
        lastError: reason, bytesPerSecond: 0, failedFiles: [],
      };
    },
    syncNow() {
      return Promise.reject(new SyncUnavailableError(reason));
    },
    async stop() {},
  };
}
