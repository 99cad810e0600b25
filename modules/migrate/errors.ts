/**
 * The errors `@deckhand/migrate` throws. Each has a stable `code` prefixed `MIGRATE_`. A record that cannot be
 * migrated is never an error: it is quarantined and counted, and the migration goes on.
 *
 * @module
 */

/**
 * The base class of every error this module throws, so callers catch them with one `instanceof` and switch on
 * `code`.
 *
 * @example
 * ```ts
 * try {
 *   await migrateDataRoot({ root, target: 2, migrations });
 * } catch (error) {
 *   if (error instanceof MigrateError) console.error(error.code, error.message);
 * }
 * ```
 */
export class MigrateError extends Error {
  /** A stable, machine-readable code, e.g. `MIGRATE_VERIFY_FAILED`. */
  readonly code: string = "MIGRATE_ERROR";
  override readonly name: string = "MigrateError";

  /** Creates the error with a message that tells the user what to do, and the original error as `cause`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown for nonsense options (a relative or empty root, a target below 1, zero workers, a broken chain). */
export class InvalidOptionsError extends MigrateError {
  override readonly code: string = "MIGRATE_INVALID_OPTIONS";
  override readonly name: string = "InvalidOptionsError";
}

/** Thrown when no chain of migrations leads from the newest complete older version to the target. */
export class NoMigrationPathError extends MigrateError {
  override readonly code: string = "MIGRATE_NO_PATH";
  override readonly name: string = "NoMigrationPathError";
}

/**
 * Thrown when the built target fails verification (counts in differ from counts out plus quarantined, or a
 * database fails `PRAGMA integrity_check` / `foreign_key_check`). The target was not marked complete, the
 * temporary directory was removed, and the previous version stays in use.
 */
export class VerificationFailedError extends MigrateError {
  override readonly code: string = "MIGRATE_VERIFY_FAILED";
  override readonly name: string = "VerificationFailedError";
}

/** Thrown when a decoding worker fails as a whole (it could not start, or it died); records are not at fault. */
export class WorkerFailedError extends MigrateError {
  override readonly code: string = "MIGRATE_WORKER_FAILED";
  override readonly name: string = "WorkerFailedError";
}

/** Thrown when the migration was stopped through its `AbortSignal`; `cause` is the signal's reason. */
export class MigrationAbortedError extends MigrateError {
  override readonly code: string = "MIGRATE_ABORTED";
  override readonly name: string = "AbortError";
}
