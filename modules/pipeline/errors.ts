/**
 * The errors @deckhand/pipeline raises. Every class carries a stable `code` for programs and a message for
 * people; the original error, when there is one, is kept as `cause`.
 *
 * @module
 */

/**
 * The base class of every error this module raises, so callers can catch them all with one `instanceof`.
 *
 * @example
 * ```ts
 * try {
 *   await run([1, 2], [batch({ size: 0 })]);
 * } catch (error) {
 *   if (error instanceof PipelineError) console.error(error.code);
 * }
 * ```
 */
export class PipelineError extends Error {
  /** A stable, machine-readable code such as `"PIPELINE_ABORTED"`. */
  readonly code: string = "PIPELINE_ERROR";
  override name = "PipelineError";

  /** Creates the error with a message for people and, optionally, the error that caused it. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The run was stopped through its `AbortSignal`. The signal's `reason` is kept as `cause`. Its `name` is
 * `"AbortError"`, like the platform's own abort errors, so `error.name === "AbortError"` checks keep working.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const done = run(endless(), [tap(work)], { signal: controller.signal });
 * controller.abort("shutting down");
 * await done.catch((error) => error instanceof AbortError); // true, error.cause === "shutting down"
 * ```
 */
export class AbortError extends PipelineError {
  override readonly code = "PIPELINE_ABORTED";
  override name = "AbortError";
}

/**
 * An options object or stage list that cannot work (a zero or negative size, concurrency or interval, a
 * stage that is not a function). Thrown at once by the call that received it, before any item moves.
 *
 * @example
 * ```ts
 * assert.throws(() => map((x: number) => x, { concurrency: 0 }), InvalidOptionsError);
 * ```
 */
export class InvalidOptionsError extends PipelineError {
  override readonly code = "PIPELINE_INVALID_OPTIONS";
  override name = "InvalidOptionsError";
}

/**
 * A stage failed with a value that cannot carry the stage's name (a thrown string, number or frozen object).
 * Errors that are extensible objects are never wrapped: the run rejects with the original error and sets
 * its `stage` property instead. The original thrown value is `cause`.
 *
 * @example
 * ```ts
 * await run([1], [tap(() => { throw "boom"; })]).catch((error) => {
 *   error instanceof StageError; // true: error.stage === "tap", error.cause === "boom"
 * });
 * ```
 */
export class StageError extends PipelineError {
  override readonly code = "PIPELINE_STAGE_FAILED";
  override name = "StageError";
  /** The name of the stage that failed ("source" for the source, "onProgress" for the progress callback). */
  readonly stage: string;

  /** Wraps `cause`, thrown by the stage named `stage`. */
  constructor(stage: string, cause: unknown) {
    super(`pipeline stage "${stage}" failed: ${String(cause)}`, { cause });
    this.stage = stage;
  }
}

/**
 * Returns the error a run rejects with when the stage named `stage` threw `error`: the same object with
 * its `stage` property set when that is possible, a {@link StageError} around it otherwise.
 */
export function attachStage(error: unknown, stage: string): unknown {
  if (typeof error === "object" && error !== null && Object.isExtensible(error)) {
    if (!Object.prototype.hasOwnProperty.call(error, "stage")) {
      Object.defineProperty(error, "stage", { value: stage, enumerable: false, writable: true, configurable: true });
    }
    return error;
  }
  return new StageError(stage, error);
}

/** Throws {@link InvalidOptionsError} unless `value` is an integer of at least 1 (or `Infinity` when `allowInfinity`). */
export function requirePositiveInteger(name: string, value: unknown, allowInfinity = false): number {
  if (typeof value === "number" && ((Number.isInteger(value) && value >= 1) || (allowInfinity && value === Infinity))) {
    return value;
  }
  throw new InvalidOptionsError(`${name} must be an integer of at least 1, got ${String(value)}`);
}

/** Throws {@link InvalidOptionsError} unless `value` is a finite number greater than 0. */
export function requirePositiveNumber(name: string, value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return value;
  throw new InvalidOptionsError(`${name} must be a finite number greater than 0, got ${String(value)}`);
}

/** Throws {@link InvalidOptionsError} unless `value` is a function. */
export function requireFunction(name: string, value: unknown): void {
  if (typeof value !== "function") {
    throw new InvalidOptionsError(`${name} must be a function, got ${value === null ? "null" : typeof value}`);
  }
}
