/**
 * The data root on disk: one directory per data version (`v1/`, `v2/`, ...), each complete only when it holds
 * its completion marker, plus temporary build directories (`.tmp-v<N>-<id>`) that a crash may leave behind.
 * Everything here is plain `node:fs`, and each step that must survive a power cut is followed by an fsync.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";

/** The file whose presence makes a version directory complete. */
export const COMPLETE_MARKER = ".deckhand-complete";

const VERSION_DIR = /^v([1-9][0-9]{0,8})$/;
const TEMP_DIR = /^\.tmp-v[0-9]+-/;

/** What the completion marker of a version directory records. */
export interface CompletionMarker {
  readonly version: number;
  /** The version it was migrated from, or null when it was created empty or written by its own software. */
  readonly migratedFrom: number | null;
  /** ISO 8601 time the directory was completed. */
  readonly completedAt: string;
  readonly migrated: number;
  readonly quarantined: number;
}

/** A version directory found in the root. */
export interface VersionDir {
  readonly version: number;
  readonly path: string;
  readonly complete: boolean;
  /** True when it is complete without the marker, recognised by a migration's `isLegacyComplete`. */
  readonly legacy: boolean;
}

/** Recognises a complete legacy (marker-less) directory of one version. */
export type LegacyCompleteCheck = (dir: string) => Promise<boolean>;

/** The directory name of a data version. */
export function versionDirName(version: number): string {
  return `v${version}`;
}

/**
 * Lists the version directories of `root` (complete or not), lowest version first; a missing root lists none.
 * A directory is complete when it holds the marker, or, without it, when `legacy` has a check for its version
 * and the check says so.
 */
export async function listVersionDirs(
  root: string,
  legacy: ReadonlyMap<number, LegacyCompleteCheck> = new Map(),
): Promise<VersionDir[]> {
  const found: VersionDir[] = [];
  for (const entry of await readdirOrEmpty(root)) {
    const match = VERSION_DIR.exec(entry);
    if (!match) continue;
    const path = join(root, entry);
    if (!(await isDirectory(path))) continue;
    const version = Number(match[1]);
    const marked = await exists(join(path, COMPLETE_MARKER));
    const check = marked ? undefined : legacy.get(version);
    const isLegacy = check !== undefined && (await check(path));
    found.push({ version, path, complete: marked || isLegacy, legacy: isLegacy });
  }
  return found.sort((a, b) => a.version - b.version);
}

/** The names of leftover temporary build directories in `root`. */
export async function listTempDirs(root: string): Promise<string[]> {
  return (await readdirOrEmpty(root)).filter((name) => TEMP_DIR.test(name)).map((name) => join(root, name));
}

/** Removes leftover temporary build directories (a crash mid-build) and fsyncs the root; returns how many. */
export async function removeTempDirs(root: string): Promise<number> {
  const temps = await listTempDirs(root);
  for (const path of temps) await rm(path, { recursive: true, force: true });
  if (temps.length > 0) await fsyncDir(root);
  return temps.length;
}

/** Creates a fresh temporary build directory for `version` beside the version directories. */
export async function makeTempDir(root: string, version: number): Promise<string> {
  const path = join(root, `.tmp-v${version}-${randomUUID()}`);
  await mkdir(path, { recursive: false });
  return path;
}

/** Reads a directory's completion marker (null if absent). */
export async function readMarker(dir: string): Promise<CompletionMarker | null> {
  let text: string;
  try {
    text = await readFile(join(dir, COMPLETE_MARKER), "utf8");
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  return JSON.parse(text) as CompletionMarker;
}

/**
 * Makes a built temporary directory the complete directory of its version, atomically: fsync every file and the
 * directory, write and fsync the marker, fsync the directory, rename it into place, fsync the root. A crash
 * before the rename leaves a temporary directory (removed at the next start); after it, a complete version.
 * An incomplete directory already at the destination (not written by this engine) is renamed aside, not deleted.
 */
export async function commitTempDir(root: string, temp: string, marker: CompletionMarker): Promise<string> {
  await fsyncTree(temp);
  await writeFileSynced(join(temp, COMPLETE_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
  await fsyncDir(temp);
  const destination = join(root, versionDirName(marker.version));
  if (await exists(destination)) {
    await rename(destination, join(root, `${versionDirName(marker.version)}.incomplete-${Date.now()}`));
  }
  await rename(temp, destination);
  await fsyncDir(root);
  return destination;
}

/** Writes a file and fsyncs it before closing. */
export async function writeFileSynced(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Fsyncs a directory, so the names created or renamed in it survive a power cut. */
export async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Fsyncs every regular file under `dir` and every directory, deepest first. */
export async function fsyncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await fsyncTree(path);
    } else if (entry.isFile()) {
      let handle;
      try {
        handle = await open(path, "r+");
      } catch (error) {
        // SQLite removes a closed database's -wal/-shm files; one that vanished since the listing needs no fsync.
        if (isNotFound(error)) continue;
        throw error;
      }
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }
  await fsyncDir(dir);
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** True if `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown })?.code === "ENOENT";
}
