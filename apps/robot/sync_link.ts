/**
 * The robot app's link to the sync service (`@deckhand/sync-service`: the `@deckhand/sync` engine in a worker
 * thread), which uploads finished capture files to the configured target and deletes them once the target
 * confirmed them. With `--sync-target none` there is no service, and the status says so.
 *
 * @module
 */
import { readdir } from "node:fs/promises";
import { startSyncService, type SyncStatus } from "@deckhand/sync-service";
import type { SyncTargetSetting } from "./config.ts";
import { SyncUnavailableError } from "./errors.ts";

export type { SyncStatus };

/** The running sync service, as the app sees it. */
export interface SyncLink {
  /** False when sync is turned off. */
  readonly available: boolean;
  status(): Promise<SyncStatus>;
  /** Scans and uploads now. Throws `SyncUnavailableError` when sync is turned off. */
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
  const target = options.target;
  if (target.kind === "none") return disabledLink(options.captureDir);
  const service = await startSyncService(
    { captureDir: options.captureDir, failedDir: options.failedDir, target },
    { onWorkerEvent: (event) => console.error(`robot: sync worker ${event.type}`, event) },
  );
  return {
    available: true,
    status: () => service.status(),
    syncNow: () => service.syncNow(),
    stop: () => service.stop(),
  };
}

function disabledLink(captureDir: string): SyncLink {
  const reason = "sync is turned off (--sync-target none): finished capture files stay in the capture directory";
  return {
    available: false,
    async status() {
      let queued = 0;
      const names = await readdir(captureDir).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return [] as string[];
        throw error;
      });
      for (const name of names) if (name.endsWith(".mcap")) queued++;
      return {
        online: false, queued, uploading: 0, uploadedFiles: 0, uploadedBytes: 0, retries: 0, failed: 0,
        lastError: { code: "ROBOT_SYNC_UNAVAILABLE", message: reason, at: new Date(0).toISOString() }, bytesPerSecond: 0, failedFiles: [],
      };
    },
    syncNow() {
      return Promise.reject(new SyncUnavailableError(reason));
    },
    async stop() {},
  };
}
