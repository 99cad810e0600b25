/**
 * The `UploadTarget` interface every sync target implements (directory, HTTP ingest, S3), and the validation of
 * the names that cross it: upload keys and SHA-256 hex digests.
 *
 * @module
 */
import { InvalidNameError } from "./errors.ts";

/** What a target confirms it holds: an object addressed by its SHA-256, with its size in bytes. */
export interface StoredObject {
  /** Lowercase hex SHA-256 of the object's bytes. */
  readonly sha256: string;
  /** The object's size in bytes. */
  readonly size: number;
}

/**
 * One upload (or the rest of a resumed one): bytes `[offset, size)` of a file, and the SHA-256 of the whole file,
 * known only once the body has been read to its end (the uploader hashes while it sends).
 */
export interface UploadRequest {
  /** A stable key for this file's upload (resume state is kept under it): 1 to 128 of `A-Z a-z 0-9 _ -`. */
  readonly key: string;
  /** The whole file's size in bytes. */
  readonly size: number;
  /** The first byte `body` carries: the target's resume offset, or 0. */
  readonly offset: number;
  /** Bytes `[offset, size)` of the file, in order. */
  readonly body: AsyncIterable<Uint8Array>;
  /** The whole file's lowercase hex SHA-256; resolves once `body` has been read to its end. */
  readonly sha256: Promise<string>;
  /** Aborts the upload promptly; what the target received so far stays resumable. */
  readonly signal: AbortSignal;
}

/**
 * A place files are uploaded to. Content-addressed: an object is stored under its SHA-256, so the same bytes
 * uploaded twice are stored once. `put` must verify the announced hash and size before it stores anything under
 * that hash; the engine deletes the local file only after `stat` confirms both.
 *
 * @example
 * ```ts
 * const target: UploadTarget = directoryTarget("/var/lib/deckhand/uploaded");
 * const offset = await target.resumeOffset("k1", 1024, signal); // bytes already held for this upload
 * ```
 */
export interface UploadTarget {
  /** A short human description, e.g. `directory /srv/objects` (for logs and status). */
  readonly description: string;
  /**
   * How many leading bytes of upload `key` (a file of `size` bytes) the target already holds; `size` when the
   * upload was completed, 0 when nothing is held.
   */
  resumeOffset(key: string, size: number, signal: AbortSignal): Promise<number>;
  /** Uploads `request.body` from `request.offset`, verifies hash and size, and stores the object under its hash. */
  put(request: UploadRequest): Promise<StoredObject>;
  /** The stored object with this SHA-256, or `undefined` when the target does not hold it. */
  stat(sha256: string, signal: AbortSignal): Promise<StoredObject | undefined>;
  /** Resolves when the target is reachable; throws `TargetUnavailableError` when not. */
  probe(signal: AbortSignal): Promise<void>;
}

const KEY = /^[A-Za-z0-9_-]{1,128}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** Largest object size a target accepts: 2^53 - 1 bytes (exact in a double). */
export const MAX_OBJECT_BYTES: number = Number.MAX_SAFE_INTEGER;

/**
 * Throws `InvalidNameError` unless `key` is a valid upload key (1 to 128 of `A-Z a-z 0-9 _ -`: no dots, no
 * slashes, so it can never name a path outside the target's directory).
 *
 * @example
 * ```ts
 * assertUploadKey("temp_20261122T000000000Z_0000000007-1a2b"); // ok
 * assertUploadKey("../etc/passwd"); // throws InvalidNameError
 * ```
 */
export function assertUploadKey(key: string): void {
  if (typeof key !== "string" || !KEY.test(key)) {
    throw new InvalidNameError(`invalid upload key ${JSON.stringify(String(key).slice(0, 80))}: use 1 to 128 of A-Z a-z 0-9 _ -`);
  }
}

/** Throws `InvalidNameError` unless `sha256` is 64 lowercase hex digits. */
export function assertSha256(sha256: string): void {
  if (typeof sha256 !== "string" || !SHA256.test(sha256)) {
    throw new InvalidNameError(`invalid SHA-256 ${JSON.stringify(String(sha256).slice(0, 80))}: expected 64 lowercase hex digits`);
  }
}

/** Throws `InvalidNameError` unless `offset` and `size` are integers with `0 <= offset <= size <= 2^53 - 1`. */
export function assertRange(offset: number, size: number): void {
  if (!Number.isSafeInteger(size) || size < 0 || !Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    throw new InvalidNameError(`invalid upload range: offset ${offset}, size ${size}`);
  }
}
