/**
 * Uploads one local file to a target: asks what the target already holds (files of 1 MiB and more), reads the
 * file once (hashing every byte, sending only what the target lacks), and deletes the local file only once the
 * target's answer confirms it holds an object with the file's hash and size. The one place a local file is ever deleted after an upload.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { open, stat, unlink } from "node:fs/promises";
import { basename } from "node:path";
import type { BandwidthLimit } from "./bandwidth_limit.ts";
import { EmptyFileError, FileChangedError, HashMismatchError } from "./errors.ts";
import { RESUME_MIN_BYTES, type UploadTarget } from "./upload_target.ts";

/** The largest read of a file being uploaded. */
const READ_BYTES = 1 << 20;

/** What one successful upload did. */
export interface UploadOutcome {
  readonly sha256: string;
  readonly size: number;
  /** The byte the upload resumed from (0 for a fresh upload; `size` when the target already had all of it). */
  readonly resumedFrom: number;
  /** Bytes actually sent to the target. */
  readonly sentBytes: number;
}

/** The file's upload key: a readable prefix of its name plus a digest of its path, size and modification time. */
export function uploadKey(relativePath: string, size: number, mtimeMs: number): string {
  const readable = basename(relativePath).replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 80);
  const digest = createHash("sha256").update(`${relativePath}\0${size}\0${Math.trunc(mtimeMs)}`).digest("hex").slice(0, 32);
  return `${readable}-${digest}`;
}

/**
 * Uploads `path` (named `relativePath` in keys) and deletes it once the target confirms its SHA-256 and size.
 * Throws `EmptyFileError` for a zero-byte file and `FileChangedError` when the file changes while being read.
 */
export async function uploadFile(options: {
  path: string;
  relativePath: string;
  target: UploadTarget;
  limit: BandwidthLimit;
  signal: AbortSignal;
  onBytes: (bytes: number) => void;
}): Promise<UploadOutcome> {
  const { path, target, limit, signal, onBytes } = options;
  // One open file for the whole upload: its size and time, the bytes, and the check that it did not change.
  const handle = await open(path, "r");
  try {
    const before = await handle.stat();
    if (before.size === 0) throw new EmptyFileError(`${options.relativePath} is empty (0 bytes): nothing to upload`);
    const size = before.size;
    const key = uploadKey(options.relativePath, size, before.mtimeMs);
    let attemptedRestart = false;
    for (;;) {
      const offset = size < RESUME_MIN_BYTES ? 0 : Math.min(await target.resumeOffset(key, size, signal), size);
      const hash = createHash("sha256");
      let resolveHash!: (hex: string) => void;
      const sha256 = new Promise<string>((resolve) => (resolveHash = resolve));
      let sentBytes = 0;
      let digest: string | undefined;
      // Reads the file once, from byte 0 (every byte is hashed), in reads of at most 1 MiB; only the bytes from
      // `offset` on are sent. Each read gets a fresh buffer: the target may hold a sent chunk until it is written.
      async function* body(): AsyncGenerator<Uint8Array> {
        let position = 0;
        while (position < size) {
          signal.throwIfAborted();
          const length = Math.min(READ_BYTES, size - position);
          const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(length), 0, length, position);
          if (bytesRead === 0) break;
          const chunk = bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
          hash.update(chunk);
          const start = position;
          position += bytesRead;
          if (position <= offset) continue;
          const fresh = start >= offset ? chunk : chunk.subarray(offset - start);
          await limit.take(fresh.byteLength, signal);
          sentBytes += fresh.byteLength;
          onBytes(fresh.byteLength);
          yield fresh;
        }
        // By path: the file there must still be this one (same inode), unchanged, or it is not deleted later.
        const after = await stat(path);
        if (
          position !== size || after.size !== size || after.mtimeMs !== before.mtimeMs || after.ino !== before.ino ||
          after.dev !== before.dev
        ) {
          throw new FileChangedError(`${options.relativePath} changed while it was being uploaded`);
        }
        digest = hash.digest("hex");
        resolveHash(digest);
      }
      let stored;
      try {
        stored = await target.put({ key, size, offset, body: body(), sha256, signal });
      } catch (error) {
        // A hash mismatch means the target discarded its copy: restart once from byte 0 right away.
        if (error instanceof HashMismatchError && !attemptedRestart) {
          attemptedRestart = true;
          continue;
        }
        throw error;
      }
      const expected = digest;
      // put() resolves with the target's confirmation of what it durably holds: it must be this file's hash and size.
      if (expected === undefined || stored.sha256 !== expected || stored.size !== size) {
        throw new HashMismatchError(
          `${target.description} did not confirm ${options.relativePath} (sha256 ${expected}, ${size} bytes); kept locally`,
        );
      }
      await unlink(path);
      return { sha256: expected, size, resumedFrom: offset, sentBytes };
    }
  } finally {
    await handle.close();
  }
}
