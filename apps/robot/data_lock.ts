/**
 * The data root's lock file, so that a second robot app on the same data root refuses to start instead of
 * corrupting it. The lock holds the owner's pid; it is created atomically (`link` of a complete temp file), and
 * a lock whose pid is no longer alive (left by a `kill -9`) is taken over.
 *
 * @module
 */
import { link, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DataRootLockedError } from "./errors.ts";

/** The lock file's name inside the data root. */
export const LOCK_FILE = "deckhand.lock";

/** A held lock; `release()` removes it. */
export interface DataRootLock {
  readonly path: string;
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the lock of `dataRoot` for this process. Throws `DataRootLockedError` when a live process holds it.
 *
 * @example
 * ```ts
 * const lock = await lockDataRoot("/var/lib/deckhand");
 * // ... on shutdown
 * await lock.release();
 * ```
 */
export async function lockDataRoot(dataRoot: string): Promise<DataRootLock> {
  await mkdir(dataRoot, { recursive: true });
  const path = join(dataRoot, LOCK_FILE);
  const temp = join(dataRoot, `.${LOCK_FILE}.${process.pid}`);
  await writeFile(temp, `${process.pid}\n`, { flush: true });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(temp, path);
        return { path, release: () => rm(path, { force: true }) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      const pid = Number.parseInt(text.trim(), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new DataRootLockedError(
          `another Deckhand robot app (pid ${pid}) is using the data root ${dataRoot}; stop it first, or start this one ` +
            `with another --data-root (lock file: ${path})`,
        );
      }
      // A stale lock (its process is gone, e.g. after kill -9): move it aside atomically, so that of two
      // processes taking it over at once only one removes it, then try again.
      const aside = `${path}.stale.${process.pid}`;
      try {
        await rename(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        continue;
      }
      // Between our read and the rename another process may have taken over and written a fresh lock: if what we
      // moved aside belongs to a live process, put it back and refuse.
      const moved = Number.parseInt((await readFile(aside, "utf8")).trim(), 10);
      if (moved !== pid && Number.isInteger(moved) && moved > 0 && isAlive(moved)) {
        await link(aside, path).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== "EEXIST") throw error;
        });
        await rm(aside, { force: true });
        throw new DataRootLockedError(`another Deckhand robot app (pid ${moved}) just took the data root ${dataRoot}`);
      }
      await rm(aside, { force: true });
    }
    throw new DataRootLockedError(`could not take the lock ${path} after several attempts; is another app starting?`);
  } finally {
    await rm(temp, { force: true });
  }
}
