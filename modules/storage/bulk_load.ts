/**
 * The `"close"` durability of `openRunStore`: filling a new database in bulk, durable as a whole once `close()`
 * resolves. While it is open the database keeps its rollback journal in memory and never fsyncs
 * (`journal_mode=MEMORY`, `synchronous=OFF`): each page is written once, not once to the WAL and again at the
 * checkpoint, and no commit waits for the disk. A transaction still rolls back whole on an error (the journal is
 * in memory), but a process that dies mid-write may leave the file unreadable: so this is only allowed on a
 * database that does not exist yet, which the caller throws away if the process dies before `close()` resolves
 * (a migration builds its destination in a temporary directory for that reason).
 *
 * The unique index of command ids per run (`commands_run_command_id`) is built once at the end instead of entry
 * by entry: it is dropped when the store opens and created again, from its own SQL, in `close()`. Until then
 * `appendCommands` checks the ids itself (`bulkUniqueIds` in `commands.ts`): a repeat in the batch, or of a
 * command the run already has, is a `DuplicateCommandError` as always.
 *
 * `close()` then switches the file to WAL mode like every store, closes it (SQLite checkpoints and removes the
 * WAL) and fsyncs the file and its directory: once it resolves, everything written survives a power cut.
 *
 * @module
 */
import { open, realpath, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Client } from "@libsql/client";
import { InvalidOptionsError } from "./errors.ts";

/** The connection settings of a bulk load. */
const BULK_LOAD_PRAGMAS: readonly string[] = ["PRAGMA journal_mode=MEMORY", "PRAGMA synchronous=OFF"];

/** The index a bulk load builds at the end. */
const DEFERRED_INDEX = "commands_run_command_id";

/** How a store opened with `durability: "close"` starts and finishes. */
export interface BulkLoad {
  /**
   * Right after the client opens, before anything else: refuses (`InvalidOptionsError`) if libSQL opened another
   * file than the one checked, then sets the bulk load's connection settings.
   */
  beforeSchema(client: Client): Promise<void>;
  /** After the schema is in place: drops the unique index of command ids, to build it at the end. */
  afterOpen(client: Client): Promise<void>;
  /** On the open client, after the last write: builds the index again, then WAL mode like every store. */
  beforeClose(client: Client): Promise<void>;
  /** After the client closed: fsyncs the file and its directory. */
  afterClose(): Promise<void>;
}

/**
 * The bulk load of the database at `url`: a `file:` URL (no query, fragment or %-escape) of a database that does
 * not exist yet (or is an empty file). Anything else is an `InvalidOptionsError`, and nothing is created.
 */
export async function bulkLoadTarget(url: string): Promise<BulkLoad> {
  const refuse = (why: string, cause?: unknown): InvalidOptionsError =>
    new InvalidOptionsError(`durability "close" needs a plain file: URL of a new database (${why}), got ${JSON.stringify(url)}`, { cause });
  // No query, fragment or percent-escape: the path must mean the same file to this check and to libSQL.
  if (!url.startsWith("file:") || /[?#%]/.test(url)) throw refuse("no query, fragment or %-escape");
  let path: string;
  try {
    path = url.startsWith("file://") ? fileURLToPath(url) : url.slice("file:".length);
  } catch (error) {
    throw refuse("a file URL without a host", error);
  }
  if (path.length === 0 || path.startsWith(":")) throw refuse("a path, not an in-memory database");
  for (const [file, allowedSize] of [[path, 0], [`${path}-wal`, -1], [`${path}-journal`, -1]] as const) {
    let size: number | undefined;
    try {
      size = await sizeOf(file);
    } catch (error) {
      throw refuse(`${file} cannot be checked: ${(error as Error).message}`, error);
    }
    if (size !== undefined && size > allowedSize) {
      throw new InvalidOptionsError(
        `durability "close" is for a new database only, and ${file} already exists: a process that died mid-load could leave it unreadable`,
      );
    }
  }
  let indexSql: string | undefined;
  return {
    async beforeSchema(client) {
      // Whatever libSQL made of the URL, the file it opened must be the one checked above.
      const main = (await client.execute("PRAGMA database_list")).rows.find((row) => row[1] === "main");
      const opened = typeof main?.[2] === "string" ? main[2] : "";
      if (opened === "" || (await canonical(opened)) !== (await canonical(path))) {
        throw refuse(`libSQL opened ${JSON.stringify(opened)}, not ${JSON.stringify(path)}`);
      }
      for (const pragma of BULK_LOAD_PRAGMAS) await client.execute(pragma);
    },
    async afterOpen(client) {
      const found = await client.execute({ sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", args: [DEFERRED_INDEX] });
      const sql = found.rows[0]?.[0];
      if (typeof sql !== "string") throw new Error(`the run store's schema has no index ${DEFERRED_INDEX}`);
      indexSql = sql;
      await client.execute(`DROP INDEX ${DEFERRED_INDEX}`);
    },
    async beforeClose(client) {
      // The same SQL as the schema's, so the finished database is exactly a store's.
      if (indexSql !== undefined) await client.execute(indexSql);
      await client.execute("PRAGMA journal_mode=WAL");
    },
    async afterClose() {
      await fsync(path);
      await fsync(dirname(path));
    },
  };
}

/** The path with symbolic links resolved (as far as it exists). */
async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
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
