/**
 * What a migration is: `{ from, to, run(context) }`. The engine (`migrateDataRoot`) hands `run` a context with
 * the source directory (the complete `v<from>`, read only), the destination (a temporary directory that becomes
 * `v<to>` only after verification), a quarantine writer, progress, a worker-pool factory and the signal.
 *
 * @module
 */
import type { WorkerPool } from "./worker_pool.ts";

/** A record that could not be migrated, kept with its original bytes. */
export interface QuarantineRecord {
  /** The record's id in the source (unique among quarantined records of one step). */
  readonly id: string;
  /** The record's original bytes, exactly as stored in the source. */
  readonly bytes: Uint8Array;
  /** Why, as a short stable word (`"truncated"`, `"future-version"`, ...); results count records per reason. */
  readonly reason: string;
  /** What went wrong, for a person. */
  readonly message: string;
  /** ISO 8601 creation time of the record, when the source knows it. */
  readonly createdAt?: string;
}

/** Where quarantined records go; the default writes files under `<destination>/quarantine/`. */
export type QuarantineSink = (record: QuarantineRecord) => Promise<void>;

/** The quarantine writer of a migration step: writes each record to its sink and counts it. */
export interface QuarantineWriter {
  /** Keeps `record` (through the sink) and counts it in progress and in the result. */
  write(record: QuarantineRecord): Promise<void>;
  /** Sends later records to `sink` (e.g. the destination database's quarantine table) instead of files. */
  setSink(sink: QuarantineSink): void;
  /** How many records were quarantined so far. */
  readonly count: number;
  /** How many per reason. */
  readonly byReason: Readonly<Record<string, number>>;
}

/** What `run` receives. */
export interface MigrationContext {
  readonly from: number;
  readonly to: number;
  /** The complete source version directory. Read it; never write to it. */
  readonly sourceDir: string;
  /** The empty temporary directory to build the target version in. */
  readonly destinationDir: string;
  /** Stops the migration; pass it to anything that waits. */
  readonly signal: AbortSignal;
  /** How many decoding workers the caller asked for (at least 1). */
  readonly workers: number;
  /** Starts a pool of `workers` threads running the task module at `entry` (closed by the engine at the end). */
  workerPool<I, O>(entry: URL): Promise<WorkerPool<I, O>>;
  /** Tells the engine how many records the step has. */
  setTotal(total: number): void;
  /** Counts records handled (migrated or quarantined). Quarantined ones are counted by the writer too. */
  advance(done: number): void;
  readonly quarantine: QuarantineWriter;
}

/** What `run` reports; the engine checks `read === migrated + quarantined` before switching. */
export interface MigrationCounts {
  /** Records read from the source. */
  readonly read: number;
  /** Records present in the destination, counted back from it after writing. */
  readonly migrated: number;
  /** Records quarantined, counted back from the destination after writing. */
  readonly quarantined: number;
}

/** One step from data version `from` to `to` (usually `from + 1`). */
export interface Migration {
  readonly from: number;
  readonly to: number;
  /** Builds version `to` in `context.destinationDir` from `context.sourceDir`. */
  run(context: MigrationContext): Promise<MigrationCounts>;
  /**
   * How to recognise a complete `v<from>` directory written by legacy software that predates this engine and so
   * carries no completion marker (every field robot's `v1/`). Consulted only for a `v<from>` directory without
   * the marker; a version that a migration writes (the `to` of any migration in the set) is complete only with
   * its marker, and declaring this for such a version is refused (`InvalidOptionsError`). Temporary build
   * directories are never version directories, so they are never consulted. Must only read `dir`; a false
   * answer leaves the directory in place, unused.
   */
  isLegacyComplete?(dir: string): Promise<boolean>;
}
