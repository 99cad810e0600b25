/**
 * The `"close"` durability of `openRunStore`: filling a new database in bulk, durable as a whole once `close()`
 * resolves. While it is open the database keeps its rollback journal in memory and never fsyncs
 * (`journal_mode=MEMORY`, `synchronous=OFF`): each page is written once, not once to the WAL and again at the
 * checkpoint, and no commit waits for the disk. A transaction still rolls back whole on an error (the journal is
 * in memory), but a process that dies mid-write may leave the file unreadable: so this is only allowed on a
 * database that does not exist yet, which the caller throws away if the process dies before `close()` resolves
 * (a migration builds its destination in a temporary directory for that reason).
 *
 * `close()` then switches the file to WAL mode like every store, closes it (SQLite checkpoints and removes the
 * WAL) and fsyncs the file and its directory: once it resolves, everything written survives a power cut.
 *
 * @module
 */
import { open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Client } from "@libsql/client";
import { InvalidOptionsError } from "./errors.ts";

/** The connection settings of a bulk load. */
export const BULK_LOAD_PRAGMAS: readonly string[] = ["PRAGMA journal_mode=MEMORY", "PRAGMA synchronous=OFF"];

/** How a store opened with `durability: "close"` finishes: before and after its client closes. */
export interface BulkLoad {
  /** The database file. */
  readonly path: string;
  /** On the open client, after the last write: WAL mode, like every store. */
  beforeClose(client: Client): Promise<void>;
  /** After the client closed: fsyncs the file and its directory. */
  afterClose(): Promise<void>;
}

/**
 * The bulk load of the database at `url`: a `file:` URL (no query) of a database that does not exist yet (or
 * is an empty file). Anything else is an `InvalidOptionsError`, and nothing is created.
 */
export async function bulkLoadTarget(url: string): Promise<BulkLoad> {
  if (!url.startsWith("file:") || url.includes("?")) {
    throw new InvalidOptionsError(`durability "close" needs a plain file: URL of a new database, got ${JSON.stringify(url)}`);
  }
  const path = url.startsWith("file://") ? fileURLToPath(url) : url.slice("file:".length);
  if (path.length === 0) throw new InvalidOptionsError('durability "close" needs a file: URL with a path');
  for (const [file, allowedSize] of [[path, 0], [`${path}-wal`, -1], [`${path}-journal`, -1]] as const) {
    const size = await sizeOf(file);
    if (size !== undefined && size > allowedSize) {
      throw new InvalidOptionsError(
        `durability "close" is for a new database only, and ${file} already exists: a process that died mid-load could leave it unreadable`,
      );
    }
  }
  return {
    path,
    async beforeClose(client) {
      await client.execute("PRAGMA journal_mode=WAL");
    },
    async afterClose() {
      await fsync(path);
      await fsync(dirname(path));
    },
  };
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return undefined;
    throw error;
  }
}

async function fsync(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
