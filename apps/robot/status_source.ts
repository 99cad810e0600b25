/**
 * What the status page reads: one snapshot of runs, collectors, sync and system figures (and the migration
 * progress while migrating). Live updates come from `GET /events`.
 *
 * @module
 */
import type { CollectorRow, SystemRow } from "./event_hub.ts";
import type { BootProgress } from "./data_root_boot.ts";
import type { RobotState } from "./robot_state.ts";
import type { SyncStatus } from "./sync_link.ts";

/** One run in the status page's table. */
export interface RunRow {
  readonly id: string;
  readonly status: string;
  readonly commandCount: number;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly current: boolean;
  readonly dataError?: { readonly code: string; readonly message: string };
}

/** Everything the status page shows at load. */
export interface StatusSnapshot {
  /** Newest first, at most 200. */
  readonly runs: readonly RunRow[];
  readonly collectors: readonly CollectorRow[];
  /** Null before the services are up. */
  readonly sync: SyncStatus | null;
  readonly system: SystemRow;
  readonly migration?: BootProgress;
}

/** The status page's data source. */
export interface StatusSource {
  snapshot(): Promise<StatusSnapshot>;
}

/**
 * The status source over the app's live state.
 *
 * @example
 * ```ts
 * const source = createStatusSource(state);
 * const { runs, collectors, system } = await source.snapshot();
 * ```
 */
export function createStatusSource(state: RobotState): StatusSource {
  return {
    async snapshot() {
      const system = await state.system();
      const migration = state.migration && state.phase === "migrating" ? { migration: state.migration } : {};
      const services = state.phase === "ready" ? state.services : undefined;
      if (!services) return { runs: [], collectors: [], sync: null, system, ...migration };
      const current = services.runs.currentRunId;
      const runs = (await services.store.listRuns({ limit: 200 })).map((run): RunRow => ({
        id: run.id,
        status: run.status,
        commandCount: run.commandCount,
        createdAt: run.createdAt,
        ...(run.startedAt ? { startedAt: run.startedAt } : {}),
        ...(run.completedAt ? { completedAt: run.completedAt } : {}),
        current: run.id === current,
        ...(run.kind === "bad" ? { dataError: { code: run.dataError.code, message: run.dataError.message } } : {}),
      }));
      return { runs, collectors: services.capture.collectors(), sync: await services.sync.status(), system, ...migration };
    },
  };
}
