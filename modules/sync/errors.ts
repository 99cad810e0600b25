/**
 * The error classes of `@deckhand/sync`. Every error carries a stable `code` that callers and HTTP layers switch
 * on, and `cause` for the underlying error. {@link isTransient} tells errors worth a retry from terminal ones.
 *
 * @module
 */

/**
 * The base class of every error thrown by `@deckhand/sync`, so callers can catch the module's errors at once.
 *
 * @example
 * ```ts
 * try {
 *   createSyncEngine({ captureDir: "/data/capture", target, concurrency: 0 });
 * } catch (error) {
 *   if (error instanceof SyncError) console.error(error.code); // "SYNC_INVALID_OPTIONS"
 * }
 * ```
 */
export class SyncError extends Error {
  /** A stable machine-readable code, e.g. `"SYNC_INVALID_OPTIONS"`. */
  readonly code: string = "SYNC_ERROR";
  override readonly name: string = "SyncError";

  /** Creates the error with a message that tells the user what to do, and the original error as `cause`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown at construction (or by `reconfigure`) when an option is nonsense: negative or zero counts, bad paths. */
export class InvalidOptionsError extends SyncError {
  override readonly code: string = "SYNC_INVALID_OPTIONS";
  override readonly name: string = "InvalidOptionsError";
}

/**
 * The target could not be reached or answered with a transient failure (network error, timeout, stall, 5xx, 408,
 * 429). Retried with backoff. `unreachable` is true when no answer came at all (the engine then goes offline).
 */
export class TargetUnavailableError extends SyncError {
  override readonly code: string = "SYNC_TARGET_UNAVAILABLE";
  override readonly name: string = "TargetUnavailableError";
  /** True when the target gave no answer at all (connection refused, reset, timed out). */
  readonly unreachable: boolean;
  /** The HTTP status, when there was one. */
  readonly status: number | undefined;

  /** Creates the error; `unreachable` marks a failure to reach the target at all. */
  constructor(message: string, options: { cause?: unknown; unreachable: boolean; status?: number }) {
    super(message, options);
    this.unreachable = options.unreachable;
    this.status = options.status;
  }
}

/** The target refused the upload for good (a 4xx other than 408/409/429, bad credentials, a refused name). */
export class TargetRejectedError extends SyncError {
  override readonly code: string = "SYNC_TARGET_REJECTED";
  override readonly name: string = "TargetRejectedError";
  /** The HTTP status, when there was one. */
  readonly status: number | undefined;

  /** Creates the error with the status the target answered. */
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.status = options?.status;
  }
}

/**
 * The bytes the target received do not hash to the SHA-256 the uploader announced. The target discarded its
 * partial copy; the upload restarts from byte 0 (transient).
 */
export class HashMismatchError extends SyncError {
  override readonly code: string = "SYNC_HASH_MISMATCH";
  override readonly name: string = "HashMismatchError";
}

/**
 * The target holds a different number of bytes of this upload than the uploader assumed, or another upload of the
 * same key is in progress. The uploader asks for the offset again (transient).
 */
export class UploadConflictError extends SyncError {
  override readonly code: string = "SYNC_UPLOAD_CONFLICT";
  override readonly name: string = "UploadConflictError";
}

/** A local file changed size or modification time while it was being uploaded (terminal: it goes to `failed/`). */
export class FileChangedError extends SyncError {
  override readonly code: string = "SYNC_FILE_CHANGED";
  override readonly name: string = "FileChangedError";
}

/** A local file is empty (terminal: it goes to `failed/`, so it cannot loop forever). */
export class EmptyFileError extends SyncError {
  override readonly code: string = "SYNC_EMPTY_FILE";
  override readonly name: string = "EmptyFileError";
}

/** A name, upload key, hash or size given to a target is malformed or out of range (hostile input, refused). */
export class InvalidNameError extends SyncError {
  override readonly code: string = "SYNC_INVALID_NAME";
  override readonly name: string = "InvalidNameError";
}

/** The engine was closed (or its signal aborted) while the call was pending. */
export class SyncClosedError extends SyncError {
  override readonly code: string = "SYNC_CLOSED";
  override readonly name: string = "SyncClosedError";
}

/**
 * True when an upload that failed with `error` should be retried with backoff; false when the file goes to
 * `failed/`. Unknown errors (local I/O trouble) count as transient: nothing is moved aside on a guess.
 *
 * @example
 * ```ts
 * isTransient(new TargetUnavailableError("502", { unreachable: false, status: 502 })); // true
 * isTransient(new TargetRejectedError("403", { status: 403 })); // false
 * ```
 */
export function isTransient(error: unknown): boolean {
  return !(
    error instanceof TargetRejectedError ||
    error instanceof FileChangedError ||
    error instanceof EmptyFileError ||
    error instanceof InvalidNameError ||
    error instanceof InvalidOptionsError
  );
}
