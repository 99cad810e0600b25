/**
 * Uploads one local file to a target: asks what the target already holds, reads the file once (hashing every
 * byte, sending only what the target lacks), then confirms the stored hash and size with `stat` before it deletes
 * the local file. The one place a local file is ever deleted after an upload.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat, unlink } from "node:fs/promises";
import { basename } from "node:path";
import type { BandwidthLimit } from "./bandwidth_limit.ts";
import { EmptyFileError, FileChangedError, HashMismatchError } from "./errors.ts";
import type { UploadTarget } from "./upload_target.ts";

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
  const before = await stat(path);
  if (before.size === 0) throw new EmptyFileError(`${options.relativePath} is empty (0 bytes): nothing to upload`);
  const size = before.size;
  const key = uploadKey(options.relativePath, size, before.mtimeMs);
  let attemptedRestart = false;
  for (;;) {
    const offset = Math.min(await target.resumeOffset(key, size, signal), size);
    const hash = createHash("sha256");
    let resolveHash!: (hex: string) => void;
    const sha256 = new Promise<string>((resolve) => (resolveHash = resolve));
    let sentBytes = 0;
    let digest: string | undefined;
    async function* body(): AsyncGenerator<Uint8Array> {
      let position = 0;
      const stream = createReadStream(path, { highWaterMark: 1 << 20, signal });
      for await (const data of stream) {
        const chunk = data as Uint8Array;
        hash.update(chunk);
        const start = position;
        position += chunk.byteLength;
        if (position > size) throw new FileChangedError(`${options.relativePath} grew while it was being uploaded`);
        if (position <= offset) continue;
        const fresh = start >= offset ? chunk : chunk.subarray(offset - start);
        await limit.take(fresh.byteLength, signal);
        sentBytes += fresh.byteLength;
        onBytes(fresh.byteLength);
        yield fresh;
      }
      const after = await stat(path);
      if (position !== size || after.size !== size || after.mtimeMs !== before.mtimeMs) {
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
    const confirmed = await target.stat(stored.sha256, signal);
    if (expected === undefined || stored.sha256 !== expected || confirmed?.sha256 !== expected || confirmed.size !== size) {
      throw new HashMismatchError(
        `${target.description} did not confirm ${options.relativePath} (sha256 ${expected}, ${size} bytes); kept locally`,
      );
    }
    await unlink(path);
    return { sha256: expected, size, resumedFrom: offset, sentBytes };
  }
}
