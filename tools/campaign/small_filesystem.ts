/**
 * The full-disk harness: a real, size-limited filesystem (a tmpfs mounted by root) to use as a data root, with a
 * filler that takes its free space down to a chosen number of bytes and gives it back. Where it cannot mount (not
 * Linux, not root, mount refused) it says why instead of pretending, and it always unmounts.
 *
 * @example
 * ```ts
 * const outcome = await withSmallFilesystem({ sizeBytes: 64 << 20 }, async (fs) => {
 *   await fs.fill(0);     // writes now fail with ENOSPC
 *   await fs.release();   // space is back
 * });
 * if (!outcome.ran) console.log("full-disk phase skipped:", outcome.reason);
 * ```
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, open, rm, rmdir, statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A mounted small filesystem. */
export interface SmallFilesystem {
  /** The mount point. */
  readonly dir: string;
  /** What was mounted. */
  readonly kind: "tmpfs";
  readonly sizeBytes: number;
  /** Free bytes now (statfs). */
  freeBytes(): Promise<number>;
  /** Writes filler until at most `leaveBytes` are free (0: full); returns the free bytes left. */
  fill(leaveBytes: number): Promise<number>;
  /** Deletes the filler: the space is back. */
  release(): Promise<void>;
}

/** Why a small filesystem could not be mounted here, or null when it can be tried. */
export function smallFilesystemUnavailable(): string | null {
  if (process.platform !== "linux") return `not Linux (${process.platform}): no tmpfs to mount`;
  if (process.getuid?.() !== 0) return "not running as root: mounting a tmpfs needs root";
  if (spawnSync("sh", ["-c", "command -v mount && command -v umount"]).status !== 0) return "mount/umount not found";
  return null;
}

/**
 * Mounts a tmpfs of `sizeBytes` on a new temp directory, runs `body`, then unmounts it and removes the directory,
 * whatever `body` did. Resolves `{ ran: false, reason }` without running `body` when it cannot mount.
 */
export async function withSmallFilesystem<T>(
  options: { sizeBytes: number },
  body: (fs: SmallFilesystem) => Promise<T>,
): Promise<{ ran: true; value: T; kind: "tmpfs" } | { ran: false; reason: string }> {
  const unavailable = smallFilesystemUnavailable();
  if (unavailable) return { ran: false, reason: unavailable };
  if (!(options.sizeBytes >= 1 << 20)) throw new RangeError("sizeBytes must be at least 1 MiB");
  const dir = await mkdtemp(join(tmpdir(), "deckhand-full-disk-"));
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${options.sizeBytes},mode=0755`, "tmpfs", dir], { encoding: "utf8" });
  if (mounted.status !== 0) {
    await rmdir(dir);
    return { ran: false, reason: `mount -t tmpfs failed: ${(mounted.stderr || mounted.error?.message || "").trim()}` };
  }
  const fillers: string[] = [];
  const freeBytes = async () => {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  };
  const fs: SmallFilesystem = {
    dir, kind: "tmpfs", sizeBytes: options.sizeBytes, freeBytes,
    async fill(leaveBytes) {
      const path = join(dir, `.filler-${fillers.length}`);
      fillers.push(path);
      const handle = await open(path, "w");
      const block = new Uint8Array(64 * 1024);
      try {
        for (let free = await freeBytes(); free > leaveBytes; free = await freeBytes()) {
          const n = Math.min(block.length, free - leaveBytes);
          const written = await handle.write(block, 0, n).catch((e: NodeJS.ErrnoException) => {
            if (e.code === "ENOSPC") return null;
            throw e;
          });
          if (written === null) break;
        }
      } finally {
        await handle.close();
      }
      return freeBytes();
    },
    async release() {
      for (const path of fillers.splice(0)) await rm(path, { force: true });
    },
  };
  try {
    return { ran: true, kind: "tmpfs", value: await body(fs) };
  } finally {
    let unmounted = spawnSync("umount", [dir], { encoding: "utf8" });
    // A process that still holds a file there (a killed child not yet reaped): detach lazily so nothing is left.
    if (unmounted.status !== 0) unmounted = spawnSync("umount", ["-l", dir], { encoding: "utf8" });
    if (unmounted.status !== 0) throw new Error(`umount ${dir} failed: ${unmounted.stderr.trim()}`);
    await rmdir(dir);
  }
}
