/**
 * The error classes of `@deckhand/capture`. Every error carries a stable `code` string that callers and
 * HTTP layers can switch on, and `cause` for the underlying error.
 *
 * @module
 */

/**
 * The base class of every error thrown by `@deckhand/capture`, so callers can catch the module's errors at once.
 *
 * @example
 * ```ts
 * try {
 *   createCaptureWriter({ dir, maxFileBytes: 0 });
 * } catch (error) {
 *   if (error instanceof CaptureError) console.error(error.code);
 * }
 * ```
 */
export class CaptureError extends Error {
  /** A stable machine-readable code, e.g. `"CAPTURE_INVALID_OPTIONS"`. */
  readonly code: string = "CAPTURE_ERROR";
  override readonly name: string = "CaptureError";

  /** Creates the error with a message that tells the user what to do, and the original error as `cause`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown at construction when an option is nonsense (zero or negative sizes, intervals, rates; bad names). */
export class InvalidOptionsError extends CaptureError {
  override readonly code: string = "CAPTURE_INVALID_OPTIONS";
  override readonly name: string = "InvalidOptionsError";
}

/** Raised by a write while the disk is below its free-space threshold and the disk policy is `pause`. */
export class DiskFullError extends CaptureError {
  override readonly code: string = "CAPTURE_DISK_FULL";
  override readonly name: string = "DiskFullError";
}

/** Raised by a source read when the device is unplugged or not answering; the source reconnects by itself. */
export class SourceDisconnectedError extends CaptureError {
  override readonly code: string = "CAPTURE_SOURCE_DISCONNECTED";
  override readonly name: string = "SourceDisconnectedError";
}

/** Raised by a source read when the device answered with something the source cannot parse. */
export class SourceReadError extends CaptureError {
  override readonly code: string = "CAPTURE_SOURCE_READ_FAILED";
  override readonly name: string = "SourceReadError";
}

/** Raised when a write arrives after the capture writer was closed. */
export class WriterClosedError extends CaptureError {
  override readonly code: string = "CAPTURE_WRITER_CLOSED";
  override readonly name: string = "WriterClosedError";
}

/** Raised when a capture file cannot be written, flushed, finished or renamed (the file system failed). */
export class CaptureFileError extends CaptureError {
  override readonly code: string = "CAPTURE_FILE_FAILED";
  override readonly name: string = "CaptureFileError";
}

/** Raised by recovery when a leftover file cannot be processed at all (it is then left in place, untouched). */
export class UnrecoverableFileError extends CaptureError {
  override readonly code: string = "CAPTURE_UNRECOVERABLE_FILE";
  override readonly name: string = "UnrecoverableFileError";
}

/**
 * Raised when writing a chunk (or syncing it) failed, e.g. `ENOSPC` or `EIO`. The file was rolled back to its last
 * complete chunk, so the messages of the failed chunk are NOT in it (`lostMessages` of them): retrying them stores
 * them once. The writer keeps working: the next write after space returns succeeds.
 */
export class WriteFailedError extends CaptureError {
  override readonly code: string = "CAPTURE_WRITE_FAILED";
  override readonly name: string = "WriteFailedError";
  /** Messages that were buffered in the failed chunk(s) and are not stored. */
  readonly lostMessages: number;

  /** Creates the error; `lostMessages` counts the messages dropped with the failed chunk. */
  constructor(message: string, lostMessages: number, options?: { cause?: unknown }) {
    super(message, options);
    this.lostMessages = lostMessages;
  }
}

/** Raised by a write whose log time is not a finite, non-negative number of epoch milliseconds. */
export class InvalidLogTimeError extends CaptureError {
  override readonly code: string = "CAPTURE_INVALID_LOG_TIME";
  override readonly name: string = "InvalidLogTimeError";
}
