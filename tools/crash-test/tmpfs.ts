/**
 * A real small file system for full-disk tests: a tmpfs mounted for one test (needs root, as CI runs), and a
 * filler that writes until the disk is full. Test support, never published.
 *
 * @module
 */
import { execFile } from "node:child_process";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { TestContext } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Calls `fn` with the mount point of a new tmpfs of `size` (a `mount -o size=` value, default "2m"), unmounted
 * and removed when `fn` settles. Without root, or when the mount fails, the test is skipped, saying why
 * (`skipNote` is added to the reason).
 *
 * @example
 * ```ts
 * test("a full disk", async (t) => {
 *   await withTmpfs(t, async (dir) => { await fillDisk(join(dir, "filler")); ... });
 * });
 * ```
 */
export async function withTmpfs(
  t: TestContext,
  fn: (dir: string) => Promise<void>,
  options: { size?: string; skipNote?: string } = {},
): Promise<void> {
  const note = options.skipNote === undefined ? "" : `; ${options.skipNote}`;
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    t.skip(`mounting a tmpfs needs root${note}`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "deckhand-tmpfs-"));
  try {
    await run("mount", ["-t", "tmpfs", "-o", `size=${options.size ?? "2m"}`, "tmpfs", dir]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    t.skip(`could not mount a tmpfs: ${(error as Error).message}`);
    return;
  }
  try {
    await fn(dir);
  } finally {
    // A file a failed test left open keeps the mount busy: detach it lazily then, so no mount outlives the test.
    await run("umount", [dir]).catch(() => run("umount", ["-l", dir]));
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Writes the file at `path` until its file system is full (ENOSPC), or until `limit` bytes; returns the bytes
 * written.
 */
export async function fillDisk(path: string, limit: number = Infinity): Promise<number> {
  const handle = await open(path, "w");
  const block = new Uint8Array(16 * 1024).fill(7);
  let written = 0;
  try {
    while (written < limit) {
      const { bytesWritten } = await handle.write(block, 0, block.byteLength, written);
      written += bytesWritten;
      if (bytesWritten < block.byteLength) break;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    await handle.close();
  }
  return written;
}
