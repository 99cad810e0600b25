/**
 * Finished capture files, seen on the robot and found at the sync target: a watcher hashes every finished `.mcap`
 * in the capture directory as soon as it appears (before sync deletes it), a census hashes every object the
 * target holds, and {@link checkTargetFiles} says which finished files reached the target exactly once with the
 * right hash, which were lost, and which are stored more than once.
 *
 * @example
 * ```ts
 * const watcher = startFinishedFileWatcher({ dir: captureDir, intervalMs: 100 });
 * // ... capture, sync ...
 * const report = checkTargetFiles(await watcher.stop(), await censusTarget(ingestDir));
 * ```
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";

/** A finished file as seen: its SHA-256 and size. */
export interface SeenFile {
  readonly sha256: string;
  readonly size: number;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === "ENOENT";

/** Watches a capture directory and hashes each finished `.mcap` file the first time it sees it. */
export interface FinishedFileWatcher {
  /** Scans once now. */
  scanNow(): Promise<void>;
  /** Every finished file seen so far, by name. */
  seen(): ReadonlyMap<string, SeenFile>;
  /** Stops, after one last scan, and returns every file seen. */
  stop(): Promise<ReadonlyMap<string, SeenFile>>;
}

/** Starts a {@link FinishedFileWatcher} on `dir` (a missing directory is an empty one). */
export function startFinishedFileWatcher(options: { dir: string; intervalMs: number }): FinishedFileWatcher {
  const seen = new Map<string, SeenFile>();
  let scanning: Promise<void> = Promise.resolve();
  const scanOnce = async () => {
    let names: string[];
    try {
      names = await readdir(options.dir);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const name of names.filter((n) => n.endsWith(".mcap") && !seen.has(n))) {
      try {
        const bytes = await readFile(join(options.dir, name));
        seen.set(name, { sha256: sha256(bytes), size: bytes.length });
      } catch (error) {
        if (!isMissing(error)) throw error; // uploaded and deleted between readdir and read: not seen
      }
    }
  };
  const scanNow = () => (scanning = scanning.then(scanOnce));
  const timer = setInterval(() => void scanNow().catch((e: unknown) => console.error("[campaign] capture watcher:", e)), options.intervalMs);
  return {
    scanNow,
    seen: () => seen,
    async stop() {
      clearInterval(timer);
      await scanNow();
      return seen;
    },
  };
}

/** One object found at the target. */
export interface TargetObject {
  /** Path relative to the target directory. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/**
 * Hashes every regular file under the target directory, except in `skipDirs` (default `uploads`: uploads in
 * progress and their markers, which are not stored objects).
 */
export async function censusTarget(dir: string, options: { skipDirs?: readonly string[] } = {}): Promise<TargetObject[]> {
  const skip = new Set(options.skipDirs ?? ["uploads"]);
  const out: TargetObject[] = [];
  const walk = async (relative: string) => {
    let entries;
    try {
      entries = await readdir(join(dir, relative), { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!skip.has(path)) await walk(path);
      } else if (entry.isFile()) {
        const bytes = await readFile(join(dir, path));
        out.push({ path, sha256: sha256(bytes), size: bytes.length });
      }
    }
  };
  await walk("");
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** What the exactly-once check found. */
export interface TargetFilesReport {
  /** Finished files seen on the robot. */
  readonly expected: number;
  /** Of those, found at the target exactly once with the right hash. */
  readonly exactlyOnce: number;
  /** Seen on the robot, not at the target. */
  readonly lost: readonly string[];
  /** Stored more than once at the target (same bytes at several paths). */
  readonly duplicated: readonly { readonly sha256: string; readonly paths: readonly string[] }[];
  /** Objects named by a SHA-256 their bytes do not have. */
  readonly wrongHash: readonly string[];
}

/** Checks that every seen file is at the target exactly once, with the right hash. */
export function checkTargetFiles(seen: ReadonlyMap<string, SeenFile>, objects: readonly TargetObject[]): TargetFilesReport {
  const byHash = new Map<string, string[]>();
  for (const o of objects) byHash.set(o.sha256, [...(byHash.get(o.sha256) ?? []), o.path]);
  const lost: string[] = [];
  let exactlyOnce = 0;
  for (const [name, file] of seen) {
    const paths = byHash.get(file.sha256);
    if (!paths) lost.push(name);
    else if (paths.length === 1) exactlyOnce++;
  }
  const duplicated = [...byHash].filter(([, paths]) => paths.length > 1).map(([hash, paths]) => ({ sha256: hash, paths }));
  const wrongHash = objects.filter((o) => /^[0-9a-f]{64}$/.test(basename(o.path)) && basename(o.path) !== o.sha256).map((o) => o.path);
  return { expected: seen.size, exactlyOnce, lost: lost.sort(), duplicated, wrongHash };
}
