/**
 * Boot of the data root: `@deckhand/migrate` brings it to the robot's data version before the run store opens,
 * reporting progress (the HTTP server answers `/health` 503 with it meanwhile). A new robot gets an empty,
 * complete `<root>/v2`; a v1 root is migrated (records that cannot be converted become bad runs with
 * `MIGRATION_QUARANTINED`); a root whose newest version is newer than v2 (a downgraded robot) is left alone and
 * this app uses its own `v2` directory, created empty if it never existed.
 *
 * @module
 */
import { availableParallelism } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { type Migration, type MigrationProgress, migrateDataRoot, ROBOT_DATA_VERSION, robotMigrations } from "@deckhand/migrate";

/** The data version this app reads and writes (`<root>/v2/runs.db`). */
export const DATA_VERSION: number = ROBOT_DATA_VERSION;

/** Progress of a data-root migration. */
export type BootProgress = MigrationProgress;

/** What the boot produced. */
export interface BootResult {
  /** Absolute path of the complete version directory; the run store is `<dir>/runs.db`. */
  readonly dir: string;
  readonly version: number;
  /** The version migrated from, or null when nothing was migrated. */
  readonly migratedFrom: number | null;
  /** Records the migration could not convert and kept as bad runs. */
  readonly quarantined: number;
}

/** Options of `bootDataRoot`. */
export interface BootOptions {
  readonly root: string;
  readonly onProgress: (progress: BootProgress) => void;
  readonly signal: AbortSignal;
  /** Decoding worker threads. Default: the cores available, at most 4. */
  readonly workers?: number;
  /**
   * Test hook (`DECKHAND_TEST_BOOT_DELAY_MS`): each migration step waits this long before it runs, so a test can
   * watch `/health` answer 503 during a real migration. 0 in production.
   */
  readonly testDelayMs?: number;
}

function delayed(migration: Migration, delayMs: number): Migration {
  return {
    ...migration,
    async run(context) {
      await sleep(delayMs, undefined, { signal: context.signal });
      return await migration.run(context);
    },
  };
}

/**
 * Brings `root` to `DATA_VERSION` and returns the directory to open.
 *
 * @example
 * ```ts
 * const boot = await bootDataRoot({ root: "/var/lib/deckhand", onProgress: console.log, signal });
 * const store = await openRunStore({ url: `file:${boot.dir}/runs.db` });
 * ```
 */
export async function bootDataRoot(options: BootOptions): Promise<BootResult> {
  const delay = options.testDelayMs ?? 0;
  const migrations = delay > 0 ? robotMigrations.map((m) => delayed(m, delay)) : robotMigrations;
  const result = await migrateDataRoot({
    root: options.root,
    target: ROBOT_DATA_VERSION,
    migrations,
    workers: options.workers ?? Math.max(1, Math.min(4, availableParallelism())),
    onProgress: options.onProgress,
    signal: options.signal,
  });
  return { dir: result.dir, version: result.version, migratedFrom: result.migratedFrom, quarantined: result.quarantined };
}
