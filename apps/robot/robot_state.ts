/**
 * The robot app's live state: its phase (the HTTP server is up before the data root is migrated and the
 * services are started), the migration progress, and the running services once they exist.
 *
 * @module
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { statfsFreeBytes } from "@deckhand/capture";
import type { RunStore } from "@deckhand/storage";
import type { CaptureService } from "./capture_service.ts";
import { type BootProgress, type BootResult, DATA_VERSION } from "./data_root_boot.ts";
import { MigratingError } from "./errors.ts";
import type { EventHub, SystemRow } from "./event_hub.ts";
import type { ProtocolLibrary } from "./protocol_library.ts";
import type { RunControl } from "./run_control.ts";
import type { RunReports } from "./run_reports.ts";
import type { SyncLink } from "./sync_link.ts";

/** The services behind the API, running once the data root is ready. */
export interface RobotServices {
  readonly store: RunStore;
  readonly runs: RunControl;
  readonly protocols: ProtocolLibrary;
  readonly reports: RunReports;
  readonly capture: CaptureService;
  readonly sync: SyncLink;
  readonly boot: BootResult;
}

/** Where the app is in its life. */
export type RobotPhase = "migrating" | "ready" | "stopping" | "failed";

/** The app's version, reported by `/health`. */
export const APP_VERSION = "0.0.0";

/** The live state the routes read. */
export class RobotState {
  readonly dataRoot: string;
  readonly hub: EventHub;
  /** Free-space floor of the capture disk policy, in bytes. */
  readonly diskThresholdBytes: number;
  phase: RobotPhase = "migrating";
  migration: BootProgress | undefined;
  services: RobotServices | undefined;
  failure: Error | undefined;
  /** Aborted when shutdown begins: long-lived responses (`/events`) end on it. */
  readonly shutdown: AbortController = new AbortController();

  constructor(dataRoot: string, hub: EventHub, diskThresholdBytes: number) {
    this.dataRoot = dataRoot;
    this.hub = hub;
    this.diskThresholdBytes = diskThresholdBytes;
  }

  /** The services; throws `MigratingError` (503, with the progress) before they are up. */
  require(): RobotServices {
    if (this.services && this.phase === "ready") return this.services;
    const message = this.phase === "failed"
      ? `the robot app failed to start: ${this.failure?.message ?? "unknown error"}`
      : this.phase === "stopping" ? "the robot app is shutting down" : "the data root is being migrated; retry when /health answers 200";
    throw new MigratingError(message, { meta: { phase: this.phase, ...(this.migration ? { migration: this.migration } : {}) } });
  }

  /** Disk and data figures. */
  async system(): Promise<SystemRow> {
    const diskFreeBytes = await statfsFreeBytes(this.dataRoot);
    let dbBytes = 0;
    if (this.services) {
      for (const suffix of ["", "-wal", "-shm"]) {
        dbBytes += await stat(join(this.services.boot.dir, `runs.db${suffix}`)).then((s) => s.size, (error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") return 0;
          throw error;
        });
      }
    }
    return {
      diskFreeBytes,
      diskThresholdBytes: this.diskThresholdBytes,
      dbBytes,
      dataVersion: this.services?.boot.version ?? DATA_VERSION,
      migrating: this.phase === "migrating",
    };
  }
}
