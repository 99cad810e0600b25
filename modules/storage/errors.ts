/**
 * The errors `@deckhand/storage` throws. Each has a stable `code`. They are thrown for unusable calls
 * (a missing run, an invalid record, nonsense options, a closed store); records that cannot be decoded are not
 * errors: they come back as `BadRun` / bad analysis values.
 *
 * @module
 */

/**
 * The base class of every error this module throws, so callers can catch them with one `instanceof` and
 * switch on `code` (the HTTP layer maps codes to statuses in one place).
 *
 * @example
 * ```ts
 * try {
 *   await store.appendCommands("run-1", commands);
 * } catch (error) {
 *   if (error instanceof StorageError) console.error(error.code, error.message);
 * }
 * ```
 */
export class StorageError extends Error {
  /** A stable, machine-readable code, e.g. `STORE_RUN_NOT_FOUND`. */
  readonly code: string = "STORE_ERROR";
  override readonly name: string = "StorageError";

  /** Creates the error with a message that tells the user what to do, and the original error as `cause`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown when a run id names no run (or a deleted one). */
export class RunNotFoundError extends StorageError {
  override readonly code: string = "STORE_RUN_NOT_FOUND";
  override readonly name: string = "RunNotFoundError";
}

/** Thrown when a protocol id names no protocol. */
export class ProtocolNotFoundError extends StorageError {
  override readonly code: string = "STORE_PROTOCOL_NOT_FOUND";
  override readonly name: string = "ProtocolNotFoundError";
}

/** Thrown when an analysis id names no analysis. */
export class AnalysisNotFoundError extends StorageError {
  override readonly code: string = "STORE_ANALYSIS_NOT_FOUND";
  override readonly name: string = "AnalysisNotFoundError";
}

/** Thrown when a command id names no command of the run. */
export class CommandNotFoundError extends StorageError {
  override readonly code: string = "STORE_COMMAND_NOT_FOUND";
  override readonly name: string = "CommandNotFoundError";
}

/** Thrown when a caller passes a record that fails its codec's schema or is not plain JSON; nothing is written. */
export class InvalidRecordError extends StorageError {
  override readonly code: string = "STORE_INVALID_RECORD";
  override readonly name: string = "InvalidRecordError";
}

/** Thrown when a protocol, analysis or run is created with an id that is already taken; nothing is written. */
export class AlreadyExistsError extends StorageError {
  override readonly code: string = "STORE_ALREADY_EXISTS";
  override readonly name: string = "AlreadyExistsError";
}

/**
 * Thrown by `appendCommands` when a command id is already in the run or repeats inside the batch; the whole
 * batch is rolled back. Commands are appended once, when they reach their final state.
 */
export class DuplicateCommandError extends StorageError {
  override readonly code: string = "STORE_DUPLICATE_COMMAND";
  override readonly name: string = "DuplicateCommandError";
}

/**
 * Thrown by `appendCommands` and `finishRun` on a run that is finished, or that was interrupted (its process
 * died before `finishRun`): its history is closed.
 */
export class RunAlreadyFinishedError extends StorageError {
  override readonly code: string = "STORE_RUN_ALREADY_FINISHED";
  override readonly name: string = "RunAlreadyFinishedError";
}

/** Thrown for nonsense options or arguments (an unknown durability, a zero page length, a negative cursor). */
export class InvalidOptionsError extends StorageError {
  override readonly code: string = "STORE_INVALID_OPTIONS";
  override readonly name: string = "InvalidOptionsError";
}

/** Thrown by every method called after `close()`. */
export class StoreClosedError extends StorageError {
  override readonly code: string = "STORE_CLOSED";
  override readonly name: string = "StoreClosedError";
}

/**
 * Thrown when a record, an id or an `appendCommands` batch is over its limit in UTF-8 bytes (see the README's
 * input contract); nothing is written.
 */
export class TooLargeError extends StorageError {
  override readonly code: string = "STORE_TOO_LARGE";
  override readonly name: string = "TooLargeError";
}

/**
 * Thrown when the database reports having written other rows than a write asked for (for example an insert
 * that affected fewer rows than the batch has commands). The write is rolled back and not acknowledged.
 */
export class WriteVerificationError extends StorageError {
  override readonly code: string = "STORE_WRITE_UNVERIFIED";
  override readonly name: string = "WriteVerificationError";
}
