/**
 * `directoryTarget`: the embedded default target, a content-addressed directory. Objects live at
 * `objects/<sha256>`; an upload in progress at `uploads/<key>.part`; a completed upload leaves
 * `uploads/<key>.done` (its hash and size; files of 1 MiB and more) so that a client that crashed before deleting its
 * file does not resend it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { coalescedDirectorySync } from "./directory_sync.ts";
import { HashMismatchError, InvalidNameError, TargetUnavailableError, UploadConflictError } from "./errors.ts";
import {
  assertRange,
  assertSha256,
  assertUploadKey,
  RESUME_MIN_BYTES,
  type StoredObject,
  type UploadRequest,
  type UploadTarget,
} from "./upload_target.ts";

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

async function hashPrefix(path: string, bytes: number, signal: AbortSignal): Promise<ReturnType<typeof createHash>> {
  const hash = createHash("sha256");
  if (bytes === 0) return hash;
  for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1, highWaterMark: 1 << 20, signal })) {
    hash.update(chunk as Uint8Array);
  }
  return hash;
}

/** Received bytes are written to the part file in batches of about this many. */
const WRITE_BATCH_BYTES = 1 << 20;

interface DoneMarker {
  sha256: string;
  size: number;
}

async function readDone(path: string): Promise<DoneMarker | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<DoneMarker>;
  if (typeof parsed.sha256 !== "string" || typeof parsed.size !== "number") return undefined;
  return { sha256: parsed.sha256, size: parsed.size };
}

/**
 * A content-addressed directory target. Each object is written to a temp file in `uploads/`, hashed while it is
 * written, fdatasynced, renamed to `objects/<sha256>` and the directory fsynced, so an object that `stat` reports
 * is complete and durable. A second upload of the same bytes stores nothing new. Two uploads of one key at once
 * (in this process) are refused with `UploadConflictError`.
 *
 * @example
 * ```ts
 * const engine = createSyncEngine({ captureDir: "/data/capture", target: directoryTarget("/data/uploaded") });
 * ```
 */
export function directoryTarget(root: string): UploadTarget {
  if (typeof root !== "string" || root.length === 0) throw new InvalidNameError("directoryTarget needs a directory path");
  const objects = join(root, "objects");
  const uploads = join(root, "uploads");
  const active = new Set<string>();
  // Concurrent uploads renaming into objects/ share directory fsyncs.
  const syncObjects = coalescedDirectorySync(objects);
  let dirsReady = false;
  const ensureDirs = async (): Promise<void> => {
    if (dirsReady) return;
    await mkdir(objects, { recursive: true });
    await mkdir(uploads, { recursive: true });
    dirsReady = true;
  };

  async function storedSize(sha256: string): Promise<number | undefined> {
    return sizeOf(join(objects, sha256));
  }

  async function put(request: UploadRequest): Promise<StoredObject> {
    const { key, size, offset, signal } = request;
    assertUploadKey(key);
    assertRange(offset, size);
    await ensureDirs();
    if (active.has(key)) throw new UploadConflictError(`an upload of ${key} is already in progress`);
    active.add(key);
    const partPath = join(uploads, `${key}.part`);
    const donePath = join(uploads, `${key}.done`);
    try {
      signal.throwIfAborted();
      // Only a resumed upload (offset > 0) can find a finished marker or a part file that matters: a fresh one
      // opens its part file truncated, and skips both lookups.
      const done = offset > 0 ? await readDone(donePath) : undefined;
      if (done && offset === size && done.size === size && (await storedSize(done.sha256)) === size) {
        // The upload completed before (the client crashed before deleting its file): nothing to receive.
        for await (const chunk of request.body) {
          if (chunk.byteLength > 0) throw new UploadConflictError(`upload ${key} is complete; send no bytes`);
        }
        const claimed = await request.sha256;
        if (claimed === done.sha256) return { sha256: done.sha256, size };
        await rm(donePath, { force: true });
        throw new HashMismatchError(`upload ${key} was completed with other bytes; restart it from byte 0`);
      }
      const held = offset > 0 ? ((await sizeOf(partPath)) ?? 0) : 0;
      if (held < offset) {
        throw new UploadConflictError(`upload ${key}: the target holds ${held} bytes, not ${offset}; ask for the offset again`);
      }
      const handle = await open(partPath, offset === 0 ? "w" : "r+");
      let written = offset;
      let hash: ReturnType<typeof createHash>;
      try {
        if (held > offset) await handle.truncate(offset);
        hash = await hashPrefix(partPath, offset, signal);
        // No abort check here: the body's source ends itself on abort, and every byte it gave is kept for the resume.
        // Received chunks (64 KiB from a socket) are written in batches of up to 1 MiB: far fewer writes. Whatever
        // was received is written before put() settles, also when the body fails, so a resume starts after it.
        const pending: Uint8Array[] = [];
        let flushed = written;
        const flush = async (): Promise<void> => {
          if (written === flushed) return;
          await handle.writev(pending.splice(0), flushed);
          flushed = written;
        };
        try {
          for await (const chunk of request.body) {
            if (written + chunk.byteLength > size) {
              throw new UploadConflictError(`upload ${key}: more than the announced ${size} bytes`);
            }
            hash.update(chunk);
            pending.push(chunk);
            written += chunk.byteLength;
            if (written - flushed >= WRITE_BATCH_BYTES) await flush();
          }
        } finally {
          await flush();
        }
        if (written !== size) {
          throw new UploadConflictError(`upload ${key}: the body ended at byte ${written} of ${size}; resume from there`);
        }
        await handle.datasync();
      } finally {
        await handle.close();
      }
      const claimed = await request.sha256;
      const computed = hash.digest("hex");
      if (claimed !== computed) {
        await rm(partPath, { force: true });
        throw new HashMismatchError(`upload ${key}: received bytes hash to ${computed}, not the announced ${claimed}`);
      }
      // Content-addressed: an object already stored under this hash holds the same bytes, and renaming over it is
      // atomic (either entry is complete), so the part file always takes the object's place; no lookup first.
      await rename(partPath, join(objects, computed));
      await syncObjects();
      if (size >= RESUME_MIN_BYTES) {
        const marker = `${donePath}.tmp`;
        await writeFile(marker, JSON.stringify({ sha256: computed, size } satisfies DoneMarker));
        await rename(marker, donePath);
      }
      return { sha256: computed, size };
    } finally {
      active.delete(key);
    }
  }

  return {
    description: `directory ${root}`,
    async resumeOffset(key, size, signal) {
      assertUploadKey(key);
      assertRange(0, size);
      signal.throwIfAborted();
      if (active.has(key)) throw new UploadConflictError(`an upload of ${key} is in progress; ask again when it ends`);
      const done = await readDone(join(uploads, `${key}.done`));
      if (done && done.size === size && (await storedSize(done.sha256)) === size) return size;
      return Math.min((await sizeOf(join(uploads, `${key}.part`))) ?? 0, size);
    },
    put,
    async stat(sha256, signal) {
      assertSha256(sha256);
      signal.throwIfAborted();
      const size = await storedSize(sha256);
      return size === undefined ? undefined : { sha256, size };
    },
    async probe(signal) {
      signal.throwIfAborted();
      try {
        await ensureDirs();
      } catch (error) {
        throw new TargetUnavailableError(`directory ${root} is not usable: ${(error as Error).message}`, {
          cause: error,
          unreachable: true,
        });
      }
    },
  };
}
