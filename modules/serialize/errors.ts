/**
 * The errors `@deckhand/serialize` throws. Each has a stable `code`; they are thrown only for bugs or unusable
 * calls (an invalid value handed to `encode`, a nonsensical option). Failures on stored data are never thrown:
 * `codec.decode` returns them as values (see `DecodeError` in `codec.ts`).
 *
 * @module
 */

/**
 * The base class of every error this module throws, so callers can catch the module's errors with one
 * `instanceof` and switch on `code`.
 *
 * @example
 * ```ts
 * try {
 *   codec.encode(value);
 * } catch (error) {
 *   if (error instanceof SerializeError) console.error(error.code, error.message);
 * }
 * ```
 */
export class SerializeError extends Error {
  /** A stable, machine-readable code, e.g. `SERIALIZE_INVALID_VALUE`. */
  readonly code: string = "SERIALIZE_ERROR";
  override readonly name: string = "SerializeError";

  /** Creates the error with a message that tells the user what to do, and the original error as `cause`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown by `codec.encode` when the value fails the codec's schema or is not plain JSON data: a caller bug. */
export class InvalidValueError extends SerializeError {
  override readonly code: string = "SERIALIZE_INVALID_VALUE";
  override readonly name: string = "InvalidValueError";
  /** The schema issues (or the single JSON-shape issue) that made the value invalid. */
  readonly issues: readonly SerializeIssue[];

  /** Creates the error with the issues that made the value invalid. */
  constructor(message: string, issues: readonly SerializeIssue[], options?: { cause?: unknown }) {
    super(message, options);
    this.issues = issues;
  }
}

/** Thrown by `defineCodec` when the definition itself is unusable (bad name, version, schema or upgrades). */
export class InvalidCodecError extends SerializeError {
  override readonly code: string = "SERIALIZE_INVALID_CODEC";
  override readonly name: string = "InvalidCodecError";
}

/** Thrown by `codec.trusted` when text this process claims to have written is not JSON: a caller bug. */
export class InvalidTrustedTextError extends SerializeError {
  override readonly code: string = "SERIALIZE_INVALID_TRUSTED_TEXT";
  override readonly name: string = "InvalidTrustedTextError";
}

/** Thrown by `canonicalJson` and `contentHash` for values that have no JSON form (NaN, bigint, a Date, a cycle). */
export class NotJsonError extends SerializeError {
  override readonly code: string = "SERIALIZE_NOT_JSON";
  override readonly name: string = "NotJsonError";
}

/** Thrown when options are nonsense (an empty directory path, a zero or negative backoff, duplicate renderers). */
export class InvalidOptionsError extends SerializeError {
  override readonly code: string = "SERIALIZE_INVALID_OPTIONS";
  override readonly name: string = "InvalidOptionsError";
}

/** Thrown by the render cache when asked for a renderer it was not created with. */
export class UnknownRendererError extends SerializeError {
  override readonly code: string = "SERIALIZE_UNKNOWN_RENDERER";
  override readonly name: string = "UnknownRendererError";
}

/** One validation problem, as plain data: what is wrong and where (object keys and array indexes). */
export interface SerializeIssue {
  /** What is wrong, in words. */
  readonly message: string;
  /** Where: the keys and indexes from the root of the payload; empty for the root itself. */
  readonly path: readonly PropertyKey[];
}

/** Thrown by a render cache's methods after `close()`; also the abort reason renderers see when it closes. */
export class RenderCacheClosedError extends SerializeError {
  override readonly code: string = "SERIALIZE_CACHE_CLOSED";
  override readonly name: string = "RenderCacheClosedError";
}
