/**
 * The engine: brings a data root to a target data version. Each version lives in its own directory (`v1/`,
 * `v2/`, ...), complete only when it holds its marker. A missing target is built from the newest complete older
 * version in a temporary directory beside it, verified, fsynced, marked and renamed into place atomically;
 * older directories are kept, so a downgraded robot still finds its own.
 *
 * @module
 */
import { availableParallelism, tmpdir } from "node:os";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import {
  commitTempDir,
  type CompletionMarker,
  fsyncDir,
  type LegacyCompleteCheck,
  listVersionDirs,
  makeTempDir,
  removeTempDirs,
  versionDirName,
} from "./data_root.ts";
import { InvalidOptionsError, MigrationAbortedError, NoMigrationPathError, VerificationFailedError } from "./errors.ts";
import type { Migration, MigrationContext, MigrationCounts } from "./migration.ts";
import { type Clock, type MigrationProgress, ProgressReporter } from "./progress.ts";
import { createQuarantineWriter } from "./quarantine_writer.ts";
import { verifyDatabases } from "./verify_databases.ts";
import { createWorkerPool, type WorkerPool } from "./worker_pool.ts";

/** Options of `migrateDataRoot`. */
export interface MigrateDataRootOptions {
  /** The data root: an absolute path. Created if missing (unless `dryRun`). */
  readonly root: string;
  /** The data version the caller's software uses. */
  readonly target: number;
  /** The steps available, e.g. `robotMigrations`. A path from the newest complete older version must exist. */
  readonly migrations: readonly Migration[];
  /** Decoding worker threads. Default: the number of cores. */
  readonly workers?: number;
  /** Receives throttled progress, every phase change and a final 100% report. */
  readonly onProgress?: (progress: MigrationProgress) => void;
  /** Minimum milliseconds between two progress reports within a phase. Default 250. */
  readonly progressIntervalMs?: number;
  /** Stops the migration: the target is not switched to and the temporary directory is removed. */
  readonly signal?: AbortSignal;
  /** Builds and verifies everything in a directory outside the root, reports, and changes nothing in the root. */
  readonly dryRun?: boolean;
  /** The clock for progress rates and marker times. Default `Date`. */
  readonly clock?: Clock;
}

/** What one migration step did. */
export interface StepReport extends MigrationCounts {
  readonly from: number;
  readonly to: number;
  /** Quarantined records per reason (`"truncated"`, `"future-version"`, ...). */
  readonly quarantinedByReason: Readonly<Record<string, number>>;
}

/** What `migrateDataRoot` did. */
export interface MigrationResult {
  /** The absolute path of the complete target directory (in a dry run: where it would be). */
  readonly dir: string;
  /** The target version. */
  readonly version: number;
  /** The version migrated from, or null when no migration ran (already there, or a new empty root). */
  readonly migratedFrom: number | null;
  /** Records migrated by the last step (0 when none ran). */
  readonly migrated: number;
  /** Records quarantined over every step. */
  readonly quarantined: number;
  /** True when the target was created empty (no complete older version: a new robot). */
  readonly created: boolean;
  /** True for a dry run: nothing in the root changed. */
  readonly dryRun: boolean;
  /** Leftover temporary directories from a crash that were removed first. */
  readonly removedTempDirs: number;
  /** One report per step run, in order. */
  readonly steps: readonly StepReport[];
  /** Complete versions newer than the target that were left alone (a downgraded robot). */
  readonly newerVersions: readonly number[];
}

/**
 * Brings the data root to `target` and returns where its complete directory is. Never fails because of one
 * record (it is quarantined); fails with a typed error, leaving the previous version in use, when verification
 * refuses the result, a worker dies, the signal aborts, or no migration path exists.
 *
 * @example
 * ```ts
 * import { migrateDataRoot, robotMigrations, ROBOT_DATA_VERSION } from "@deckhand/migrate";
 *
 * const result = await migrateDataRoot({
 *   root: "/var/lib/deckhand",
 *   target: ROBOT_DATA_VERSION,
 *   migrations: robotMigrations,
 *   onProgress: (p) => console.log(p.phase, `${p.done}/${p.total}`),
 * });
 * const store = await openRunStore({ url: `file:${result.dir}/runs.db` });
 * ```
 */
export async function migrateDataRoot(options: MigrateDataRootOptions): Promise<MigrationResult> {
  const { root, target, migrations } = validate(options);
  const workers = options.workers ?? Math.max(1, availableParallelism());
  const dryRun = options.dryRun ?? false;
  const clock = options.clock ?? Date;
  const signal = options.signal ?? new AbortController().signal;
  const progress = new ProgressReporter(options.onProgress, options.progressIntervalMs ?? 250, clock);
  checkAborted(signal);
  progress.phase("prepare");

  let removedTempDirs = 0;
  if (!dryRun) {
    await mkdir(root, { recursive: true });
    removedTempDirs = await removeTempDirs(root);
  }
  const dirs = await listVersionDirs(root, legacyChecks(migrations));
  const complete = dirs.filter((dir) => dir.complete);
  const newerVersions = complete.filter((dir) => dir.version > target).map((dir) => dir.version);
  const targetPath = join(root, versionDirName(target));
  const base = { dir: targetPath, version: target, dryRun, removedTempDirs, newerVersions };

  if (complete.some((dir) => dir.version === target)) {
    progress.phase("done");
    return { ...base, migratedFrom: null, migrated: 0, quarantined: 0, created: false, steps: [] };
  }
  const source = complete.filter((dir) => dir.version < target).at(-1);
  if (!source) {
    if (!dryRun) {
      const temp = await makeTempDir(root, target);
      await commitTempDir(root, temp, marker(target, null, 0, 0, clock));
    }
    progress.phase("done");
    return { ...base, migratedFrom: null, migrated: 0, quarantined: 0, created: true, steps: [] };
  }

  const chain = migrationPath(source.version, target, migrations);
  const scratch = dryRun ? await mkdtemp(join(tmpdir(), "deckhand-migrate-dry-run-")) : undefined;
  const steps: StepReport[] = [];
  try {
    let sourceDir = source.path;
    for (const step of chain) {
      checkAborted(signal);
      const temp = scratch ? join(scratch, versionDirName(step.to)) : await makeTempDir(root, step.to);
      if (scratch) await mkdir(temp);
      try {
        const report = await runStep(step, sourceDir, temp, { workers, signal, progress });
        steps.push(report);
        if (!scratch) {
          progress.phase("switch");
          await commitTempDir(root, temp, marker(step.to, step.from, report.migrated, report.quarantined, clock));
          sourceDir = join(root, versionDirName(step.to));
        } else {
          sourceDir = temp;
        }
      } catch (error) {
        if (!scratch) {
          await rm(temp, { recursive: true, force: true });
          await fsyncDir(root);
        }
        throw error;
      }
    }
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
  progress.phase("done");
  const last = steps.at(-1)!;
  return {
    ...base,
    migratedFrom: source.version,
    migrated: last.migrated,
    quarantined: steps.reduce((sum, step) => sum + step.quarantined, 0),
    created: false,
    steps,
  };
}

interface StepEnvironment {
  readonly workers: number;
  readonly signal: AbortSignal;
  readonly progress: ProgressReporter;
}

async function runStep(step: Migration, sourceDir: string, destinationDir: string, env: StepEnvironment): Promise<StepReport> {
  const { progress, signal } = env;
  progress.step(`migrate v${step.from}->v${step.to}`);
  const pools: WorkerPool<unknown, unknown>[] = [];
  const quarantine = createQuarantineWriter(destinationDir, () => progress.advance(1, 1));
  const context: MigrationContext = {
    from: step.from,
    to: step.to,
    sourceDir,
    destinationDir,
    signal,
    workers: env.workers,
    async workerPool<I, O>(entry: URL): Promise<WorkerPool<I, O>> {
      const pool = await createWorkerPool<I, O>(entry, { size: env.workers, signal });
      pools.push(pool as WorkerPool<unknown, unknown>);
      return pool;
    },
    setTotal: (total) => progress.setTotal(total),
    advance: (done) => progress.advance(done),
    quarantine,
  };
  let counts: MigrationCounts;
  try {
    counts = await step.run(context);
  } catch (error) {
    if (signal.aborted && !(error instanceof MigrationAbortedError)) {
      throw new MigrationAbortedError("the migration was aborted", { cause: signal.reason });
    }
    throw error;
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
  }
  checkAborted(signal);
  progress.phase("verify");
  const problems: string[] = [];
  if (counts.read !== counts.migrated + counts.quarantined) {
    problems.push(
      `counts do not balance: ${counts.read} read, ${counts.migrated} migrated + ${counts.quarantined} quarantined`,
    );
  }
  if (counts.quarantined !== quarantine.count) {
    problems.push(`${quarantine.count} records went to quarantine but the destination holds ${counts.quarantined}`);
  }
  problems.push(...(await verifyDatabases(destinationDir)));
  if (problems.length > 0) {
    throw new VerificationFailedError(
      `v${step.to} was built from v${step.from} but failed verification, so it was not switched to and v${step.from} stays in use: ${problems.join("; ")}`,
    );
  }
  return { from: step.from, to: step.to, ...counts, quarantinedByReason: quarantine.byReason };
}

function migrationPath(from: number, to: number, migrations: readonly Migration[]): Migration[] {
  const chain: Migration[] = [];
  for (let version = from; version < to; ) {
    const step = migrations.filter((m) => m.from === version && m.to > version && m.to <= to).sort((a, b) => b.to - a.to)[0];
    if (!step) {
      throw new NoMigrationPathError(
        `no migration leads from data version ${version} towards ${to}; the data stays in v${from}. Install software that knows this migration.`,
      );
    }
    chain.push(step);
    version = step.to;
  }
  return chain;
}

/** The legacy checks declared by the migration set, by the version they recognise. */
function legacyChecks(migrations: readonly Migration[]): Map<number, LegacyCompleteCheck> {
  const checks = new Map<number, LegacyCompleteCheck>();
  for (const m of migrations) {
    const check = m.isLegacyComplete;
    if (check !== undefined && !checks.has(m.from)) checks.set(m.from, (dir) => check.call(m, dir));
  }
  return checks;
}

function marker(version: number, migratedFrom: number | null, migrated: number, quarantined: number, clock: Clock): CompletionMarker {
  return { version, migratedFrom, completedAt: new Date(clock.now()).toISOString(), migrated, quarantined };
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new MigrationAbortedError("the migration was aborted", { cause: signal.reason });
}

function validate(options: MigrateDataRootOptions): { root: string; target: number; migrations: readonly Migration[] } {
  const { root, target, migrations, workers, progressIntervalMs } = options ?? ({} as MigrateDataRootOptions);
  if (typeof root !== "string" || root.length === 0 || !isAbsolute(root)) {
    throw new InvalidOptionsError(`root must be an absolute directory path, got ${JSON.stringify(root)}`);
  }
  if (!Number.isInteger(target) || target < 1) {
    throw new InvalidOptionsError(`target must be a data version (an integer >= 1), got ${String(target)}`);
  }
  if (!Array.isArray(migrations)) throw new InvalidOptionsError("migrations must be an array of { from, to, run }");
  for (const m of migrations as readonly Migration[]) {
    if (!Number.isInteger(m?.from) || !Number.isInteger(m?.to) || m.from < 1 || m.to <= m.from || typeof m.run !== "function") {
      throw new InvalidOptionsError(`a migration must have integer from >= 1, to > from and a run function`);
    }
    if (m.isLegacyComplete !== undefined && typeof m.isLegacyComplete !== "function") {
      throw new InvalidOptionsError(`isLegacyComplete of migration v${m.from}->v${m.to} must be a function`);
    }
  }
  for (const m of migrations as readonly Migration[]) {
    const writer = m.isLegacyComplete === undefined ? undefined : migrations.find((other) => other.to === m.from);
    if (writer) {
      throw new InvalidOptionsError(
        `v${m.from} is written by migration v${writer.from}->v${writer.to}, so it is complete only with its marker; isLegacyComplete is only for versions no migration writes`,
      );
    }
  }
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) {
    throw new InvalidOptionsError(`workers must be a positive integer, got ${String(workers)}`);
  }
  if (progressIntervalMs !== undefined && !(progressIntervalMs > 0)) {
    throw new InvalidOptionsError(`progressIntervalMs must be positive, got ${String(progressIntervalMs)}`);
  }
  return { root, target, migrations };
}
