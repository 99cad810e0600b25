// @deckhand/migrate: the public face. Re-exports only.
export {
  migrateDataRoot,
  type MigrateDataRootOptions,
  type MigrationResult,
  type StepReport,
} from "./migrate_data_root.ts";
export type {
  Migration,
  MigrationContext,
  MigrationCounts,
  QuarantineRecord,
  QuarantineSink,
  QuarantineWriter,
} from "./migration.ts";
export type { Clock, MigrationProgress } from "./progress.ts";
export { COMPLETE_MARKER } from "./data_root.ts";
export type { WorkerPool } from "./worker_pool.ts";
export { serveWorkerTasks } from "./worker_task.ts";
export { MIGRATION_QUARANTINED, ROBOT_DATA_VERSION, RUN_STORE_FILE, robotMigrations } from "./robot_migrations.ts";
export {
  V1_CORRUPT_KINDS,
  type V1CorruptKind,
  type V1FixtureOptions,
  type V1FixtureReport,
  writeV1Fixture,
} from "./v1_fixture.ts";
export {
  InvalidOptionsError,
  MigrateError,
  MigrationAbortedError,
  NoMigrationPathError,
  VerificationFailedError,
  WorkerFailedError,
} from "./errors.ts";
