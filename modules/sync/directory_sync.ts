/**
 * Durable renames into one directory: `fsync` of the directory, coalesced. A rename is durable once an fsync of
 * its directory that started after the rename has finished; concurrent uploads each renaming into `objects/`
 * share such fsyncs instead of queueing one each (group commit), so many small objects cost a few directory
 * syncs, not one per object.
 *
 * @module
 */
import { open } from "node:fs/promises";

/** fsyncs `dir` once. */
async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Returns `sync()`: resolves once an fsync of `dir` that started after the call has finished, and rejects if that
 * fsync failed. While one runs, every caller shares the next one, started as soon as it ends. `syncOnce` is the
 * fsync itself (tests pass their own).
 *
 * @example
 * ```ts
 * const syncObjects = coalescedDirectorySync("/srv/deckhand/objects");
 * await rename(part, join("/srv/deckhand/objects", sha256));
 * await syncObjects(); // the rename now survives a power cut
 * ```
 */
export function coalescedDirectorySync(dir: string, syncOnce: (dir: string) => Promise<void> = fsyncDirectory): () => Promise<void> {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = (): Promise<void> => {
    const run = syncOnce(dir).finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  };
  return function sync(): Promise<void> {
    // The running fsync may have started before this caller's rename: it shares the next one.
    if (running) {
      // Cleared as the shared fsync starts: a caller after that start needs the one after it.
      const startShared = (): Promise<void> => {
        next = undefined;
        return start();
      };
      next ??= running.then(startShared, startShared);
      return next;
    }
    return start();
  };
}
