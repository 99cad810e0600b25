/**
 * The robot's own data versions and the migration between them. v1 is the legacy layout in the field
 * (`v1_format.ts`: one SQLite row per run, the whole run as one MessagePack blob); v2 is today's
 * `@deckhand/storage` run store (`v2/runs.db`: JSON through serialize codecs, one row per command).
 *
 * The v1 -> v2 step reads v1 rows in batches through a `@deckhand/pipeline` run: worker threads decode and check
 * each blob, and one writer (this thread) writes each run into the new store in source order (create, actions,
 * commands, summary, with the run's own times) or quarantines it with its original bytes
 * (`dataError.code` `MIGRATION_QUARANTINED`). Counts are then read back from the new database.
 *
 * @module
 */
import { join } from "node:path";
import { stat } from "node:fs/promises";
import { createClient, LibsqlError } from "@libsql/client";
import { map, named, run, tap } from "@deckhand/pipeline";
import { openRunStore, type RunStore, StorageError } from "@deckhand/storage";
import { exists } from "./data_root.ts";
import { VerificationFailedError } from "./errors.ts";
import type { Migration, MigrationContext, MigrationCounts } from "./migration.ts";
import type { V1DecodedRow, V1Row, V1RunOnTheWire } from "./v1_decode.ts";
import { V1_DATABASE } from "./v1_format.ts";

/** The robot's current data version: the version directory `v2/` holding the run store `runs.db`. */
export const ROBOT_DATA_VERSION = 2;

/** The run store file inside the v2 directory. */
export const RUN_STORE_FILE = "runs.db";

/** The `dataError.code` the run store shows for a run the migration could not convert. */
export const MIGRATION_QUARANTINED = "MIGRATION_QUARANTINED";

/** Rows per decoding task at most, and the blob bytes after which a task is sent early. */
const BATCH_ROWS = 64;
const BATCH_BYTES = 1024 * 1024;

interface SourceRow extends V1Row {
  readonly createdAt: string;
}

const v1ToV2: Migration = {
  from: 1,
  to: 2,
  // Field robots' v1 directories were written by legacy software and carry no marker: v1 is complete when its
  // database exists and opens as SQLite. (v2, which this engine writes, stays complete only with its marker.)
  isLegacyComplete: isLegacyV1Complete,
  async run(context: MigrationContext): Promise<MigrationCounts> {
    // v1 software may have left no database (a robot that never ran) or no run table: that is zero runs. The
    // client would create a missing file, and v1 is never written to, so it is only opened when it exists.
    const sourcePath = join(context.sourceDir, V1_DATABASE);
    const source = (await exists(sourcePath)) ? createClient({ url: `file:${sourcePath}` }) : undefined;
    // The store's clock is set to each run's own times before each write, so v2 keeps v1's timestamps and a
    // restarted migration writes exactly the same rows.
    const clock = { time: 0, now: () => clock.time };
    let store: RunStore | undefined;
    let read = 0;
    let written = 0;
    try {
      // Started first, so the workers boot while the databases open.
      const pool = await context.workerPool<readonly V1Row[], V1DecodedRow[]>(workerEntry());
      const hasRuns =
        source !== undefined &&
        (await source.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run'")).rows.length > 0;
      const total = hasRuns ? Number((await source.execute("SELECT count(*) FROM run")).rows[0]![0]) : 0;
      context.setTotal(total);
      // A bulk load: nothing durable until close(), then all of it. The destination is a new file in the
      // temporary build directory, which a crash throws away, and which is fsynced again before the switch.
      store = await openRunStore({ url: `file:${join(context.destinationDir, RUN_STORE_FILE)}`, clock, durability: "close" });
      const target = store;
      context.quarantine.setSink(async (record) => {
        await target.quarantineRun({
          id: record.id,
          bytes: record.bytes,
          code: MIGRATION_QUARANTINED,
          message: `[${record.reason}] ${record.message}`,
          ...(record.createdAt === undefined ? {} : { createdAt: record.createdAt }),
        });
      });
      await run(hasRuns ? readBatches(source, context.signal) : [], [
        named(
          "decode",
          map(async (rows: readonly SourceRow[]) => ({ rows, decoded: await pool.run(rows.map(({ id, blob }) => ({ id, blob }))) }), {
            concurrency: pool.capacity,
          }),
        ),
        named(
          "write",
          tap(async ({ rows, decoded }: { rows: readonly SourceRow[]; decoded: V1DecodedRow[] }) => {
            for (const [i, item] of decoded.entries()) {
              const row = rows[i]!;
              read++;
              const rowTime = timeOf(row.createdAt);
              clock.time = rowTime === undefined ? 0 : Date.parse(rowTime);
              if (item.kind === "run" && (await writeRun(target, item, clock, context, row))) {
                written++;
                context.advance(1);
              } else if (item.kind === "rejected") {
                await quarantineRejected(context, row, item.createdAt, item.message);
              } else if (item.kind === "unreadable") {
                await context.quarantine.write({
                  id: row.id,
                  bytes: row.blob,
                  reason: item.reason,
                  message: item.message,
                  ...(timeOf(row.createdAt) === undefined ? {} : { createdAt: row.createdAt }),
                });
              }
            }
          }),
        ),
      ], { signal: context.signal });
      await store.close();
      store = undefined;
    } finally {
      await store?.close();
      source?.close();
    }
    return await countBack(context.destinationDir, read, written);
  },
};

/** The robot's migrations: v1 -> v2. Pass them to `migrateDataRoot` with `target: ROBOT_DATA_VERSION`. */
export const robotMigrations: readonly Migration[] = [v1ToV2];

/** Writes one decoded run; a run the store refuses is removed again and quarantined. Returns true if written. */
async function writeRun(store: RunStore, item: V1RunOnTheWire, clock: { time: number }, context: MigrationContext, row: SourceRow): Promise<boolean> {
  let created = false;
  try {
    clock.time = Date.parse(item.createdAt);
    await store.createRun({ id: item.id, createdAt: item.createdAt, protocolId: null });
    created = true;
    for (const action of item.actions) await store.addRunAction(item.id, action);
    clock.time = Date.parse(item.startedAt ?? item.createdAt);
    if (item.commands.ids.length > 0) await store.appendEncodedCommands(item.id, item.commands);
    clock.time = Date.parse(item.completedAt);
    await store.finishRun(item.id, item.summary);
    return true;
  } catch (error) {
    if (!(error instanceof StorageError) || !["STORE_INVALID_RECORD", "STORE_DUPLICATE_COMMAND"].includes(error.code)) throw error;
    if (created) await store.deleteRun(item.id);
    await quarantineRejected(context, row, item.createdAt, error.message);
    return false;
  }
}

/** Quarantines a v1 row the run store refused (`rejected-by-store`), with its original bytes. */
async function quarantineRejected(context: MigrationContext, row: SourceRow, createdAt: string, why: string): Promise<void> {
  await context.quarantine.write({
    id: row.id,
    bytes: row.blob,
    reason: "rejected-by-store",
    message: `v1 run ${row.id}: the run store refused it: ${why}`,
    createdAt,
  });
}

/**
 * True when `dir` holds a v1 database that opens: it exists and SQLite reads its schema. Only reads. A file that
 * is not a database (SQLite refuses it) is not complete; any other failure (permissions, I/O) is thrown.
 */
async function isLegacyV1Complete(dir: string): Promise<boolean> {
  const path = join(dir, V1_DATABASE);
  if (!(await isFile(path))) return false;
  const client = createClient({ url: `file:${path}` });
  try {
    await client.execute("SELECT count(*) FROM sqlite_master");
    return true;
  } catch (error) {
    if (error instanceof LibsqlError && NOT_A_DATABASE.has(error.code)) return false;
    throw error;
  } finally {
    client.close();
  }
}

/** SQLite's answers for a file that is not a readable database. */
const NOT_A_DATABASE: ReadonlySet<string> = new Set(["SQLITE_NOTADB", "SQLITE_CORRUPT"]);

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if ((error as { code?: unknown })?.code === "ENOENT") return false;
    throw error;
  }
}

/**
 * Reads the v1 rows in rowid order, in batches bounded by row count and blob bytes. Each read is sized from
 * the blobs seen so far (one row first), so the first batch goes to the workers at once rather than after the
 * whole table of big runs was read.
 */
async function* readBatches(source: ReturnType<typeof createClient>, signal: AbortSignal): AsyncGenerator<SourceRow[]> {
  let after = -1;
  let batch: SourceRow[] = [];
  let bytes = 0;
  let pageRows = 1;
  for (;;) {
    signal.throwIfAborted();
    const page = await source.execute({
      sql: "SELECT rowid, id, created_at, blob FROM run WHERE rowid > ? ORDER BY rowid LIMIT ?",
      args: [after, pageRows],
    });
    if (page.rows.length === 0) break;
    let pageBytes = 0;
    for (const row of page.rows) {
      after = Number(row[0]);
      const blob = row[3] instanceof ArrayBuffer ? new Uint8Array(row[3]) : new TextEncoder().encode(String(row[3] ?? ""));
      const id = typeof row[1] === "string" && row[1].length > 0 ? row[1] : `v1-row-${after}`;
      batch.push({ id, createdAt: String(row[2] ?? ""), blob });
      bytes += blob.byteLength;
      pageBytes += blob.byteLength;
      if (batch.length >= BATCH_ROWS || bytes >= BATCH_BYTES) {
        yield batch;
        batch = [];
        bytes = 0;
      }
    }
    pageRows = Math.max(1, Math.min(BATCH_ROWS, Math.floor((BATCH_BYTES * page.rows.length) / Math.max(1, pageBytes))));
  }
  if (batch.length > 0) yield batch;
}

/** Counts what the new database holds, and checks its commands against what was written. */
async function countBack(destinationDir: string, read: number, written: number): Promise<MigrationCounts> {
  const client = createClient({ url: `file:${join(destinationDir, RUN_STORE_FILE)}` });
  try {
    const result = await client.execute(
      "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM quarantine), (SELECT count(*) FROM commands), (SELECT coalesce(sum(command_count), 0) FROM runs)",
    );
    const row = result.rows[0]!;
    const [runs, quarantined, commands, declared] = [0, 1, 2, 3].map((i) => Number(row[i]));
    if (runs === undefined || quarantined === undefined || commands !== declared) {
      throw new VerificationFailedError(`v2 holds ${commands} command rows but its runs declare ${declared}`);
    }
    if (runs !== written) throw new VerificationFailedError(`${written} runs were written but v2 holds ${runs}`);
    return { read, migrated: runs, quarantined };
  } finally {
    client.close();
  }
}

function timeOf(text: string): string | undefined {
  return text.length > 0 && text.length <= 64 && !Number.isNaN(Date.parse(text)) ? text : undefined;
}

function workerEntry(): URL {
  // Built packages run .js files; the repository and JSR run the .ts sources.
  // (Typed by hand: Deno's publish check does not see ImportMeta.url here.)
  const here = (import.meta as unknown as { url: string }).url;
  return new URL(`./v1_decode_worker.${here.endsWith(".ts") ? "ts" : "js"}`, here);
}
