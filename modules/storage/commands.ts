/**
 * The commands of a run: one row per command, indexed 0..n-1 in the order they were appended, appended in
 * multi-row statements inside one transaction and verified against the rows the database wrote.
 *
 * @module
 */
import type { Row, Transaction } from "@libsql/client";
import { CommandNotFoundError, DuplicateCommandError, InvalidOptionsError, RunNotFoundError } from "./errors.ts";
import { isQuarantined } from "./quarantine.ts";
import { checkEncodedCommands, type EncodedBatch, encodeCommandBatch, type EncodedCommands } from "./command_batch.ts";
import { checkId, decodeStored, positiveInteger } from "./record_contract.ts";
import { commandCodec, type DataError, type RunCommand, type StoredCommand } from "./records.ts";
import { liveRun } from "./runs.ts";
import { expectRowsWritten, isUniqueViolation, type StoreContext } from "./store_context.ts";

/** Options of `listCommands`. */
export interface ListCommandsOptions {
  /** The index of the first command of the page. Default: the start of the last page. */
  readonly cursor?: number;
  /** How many commands at most. Default 20. */
  readonly pageLength?: number;
}

/** A page of a run's commands. */
export interface CommandPage {
  readonly commands: readonly StoredCommand[];
  /** The index of the first command of this page. */
  readonly cursor: number;
  /** How many commands the run has. */
  readonly totalLength: number;
}

/** What `appendCommands` committed. */
export interface AppendResult {
  /** The index the first appended command got. */
  readonly firstIndex: number;
  /** How many commands the run has now. */
  readonly totalLength: number;
}

/**
 * The insert of `rows` commands from index `first`: one multi-row `VALUES` statement, the run id (?1) bound
 * once, each command's id and JSON text bound as values (never parsed by SQL), the indexes and the codec version
 * written as integer literals (numbers the store has, never caller input).
 */
function insertStatement(first: number, rows: number): string {
  const version = commandCodec.version;
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(version)) throw new TypeError("an index and a version are integers");
  const values = new Array<string>(rows);
  // Each bare ? takes the next number after the largest so far: after ?1, the first is ?2 (libSQL binds anonymous
  // values far faster than explicitly numbered ones).
  for (let i = 0; i < rows; i++) values[i] = `(?1,${first + i},?,${version},?)`;
  return `INSERT INTO commands (run_id, idx, command_id, version, doc) VALUES ${values.join(",")}`;
}

/** Appends commands to a live run in one transaction; see `RunStore.appendCommands`. */
export async function appendCommands(context: StoreContext, runId: string, commands: readonly RunCommand[]): Promise<AppendResult> {
  checkId(runId, "runId");
  // Checked and stringified before the writer queue, in statements bounded in commands and bytes.
  return await appendBatch(context, runId, encodeCommandBatch(commands, context.limits));
}

/** Appends commands checked and stringified by `encodeCommands`; see `RunStore.appendEncodedCommands`. */
export async function appendEncodedCommands(context: StoreContext, runId: string, encoded: EncodedCommands): Promise<AppendResult> {
  checkId(runId, "runId");
  return await appendBatch(context, runId, checkEncodedCommands(encoded, context.limits));
}

async function appendBatch(context: StoreContext, runId: string, batch: EncodedBatch): Promise<AppendResult> {
  const length = batch.ids.length;
  return await context.write(async (tx, now) => {
    const row = await liveRun(tx, runId);
    const firstIndex = Number(row.command_count);
    if (length === 0) return { result: { firstIndex, totalLength: firstIndex }, changes: [] };
    if (context.bulkLoad) await bulkUniqueIds(tx, runId, batch.ids, firstIndex > 0);
    let index = firstIndex;
    try {
      // Set-based: a few multi-row statements (bounded in commands and bytes), all in this one transaction; each
      // statement's row count is checked, so a short write rolls back.
      let next = 0;
      for (const count of batch.counts) {
        const args: string[] = new Array<string>(1 + 2 * count);
        args[0] = runId;
        for (let i = 0; i < count; i++) {
          args[1 + 2 * i] = batch.ids[next + i]!;
          args[2 + 2 * i] = batch.texts[next + i]!;
        }
        const inserted = await tx.execute({ sql: insertStatement(index, count), args });
        expectRowsWritten(inserted, count, `run ${runId}: appending commands ${index - firstIndex}..${index - firstIndex + count - 1}`);
        index += count;
        next += count;
      }
    } catch (error) {
      if (isUniqueViolation(error, "commands")) {
        throw new DuplicateCommandError(
          `run ${runId}: a command id in the batch is already in the run or repeats in the batch; nothing was appended`,
          { cause: error },
        );
      }
      throw error;
    }
    const totalLength = firstIndex + length;
    const updated = await tx.execute({
      sql:
        "UPDATE runs SET command_count = ?, started_at = coalesce(started_at, ?), status = CASE WHEN status = 'idle' THEN 'running' ELSE status END WHERE id = ?",
      args: [totalLength, now, runId],
    });
    expectRowsWritten(updated, 1, `run ${runId}: the command count`);
    return { result: { firstIndex, totalLength }, changes: [{ entity: "run", id: runId, kind: "commands" }] };
  });
}

/**
 * During a bulk load the unique index of command ids is only built at the end: the ids of a batch are checked
 * here instead, for a repeat in the batch and, when the run has commands already, for one of theirs. Throws
 * `DuplicateCommandError`, as the index would.
 */
async function bulkUniqueIds(tx: Transaction, runId: string, ids: readonly string[], runHasCommands: boolean): Promise<void> {
  const duplicate = (): DuplicateCommandError =>
    new DuplicateCommandError(`run ${runId}: a command id in the batch is already in the run or repeats in the batch; nothing was appended`);
  if (new Set(ids).size !== ids.length) throw duplicate();
  if (!runHasCommands) return;
  for (let start = 0; start < ids.length; start += 500) {
    const chunk = ids.slice(start, start + 500);
    const found = await tx.execute({
      sql: `SELECT 1 FROM commands WHERE run_id = ? AND command_id IN (${chunk.map(() => "?").join(",")}) LIMIT 1`,
      args: [runId, ...chunk],
    });
    if (found.rows.length > 0) throw duplicate();
  }
}

/** One command by id; see `RunStore.getCommand`. */
export async function getCommand(context: StoreContext, runId: string, commandId: string): Promise<StoredCommand> {
  checkId(runId, "runId");
  checkId(commandId, "commandId");
  const result = await context.client.execute({
    sql: "SELECT idx, version, doc FROM commands WHERE run_id = ? AND command_id = ?",
    args: [runId, commandId],
  });
  const row = result.rows[0];
  if (row) {
    const command = decodeCommand(row);
    return command.kind === "ok" ? command : { ...command, id: commandId };
  }
  const run = await context.client.execute({ sql: "SELECT 1 FROM runs WHERE id = ?", args: [runId] });
  if (run.rows.length === 0) throw new RunNotFoundError(`no run with id ${runId}`);
  throw new CommandNotFoundError(`run ${runId} has no command with id ${commandId}`);
}

/** A page of a run's commands; see `RunStore.listCommands`. */
export async function listCommands(context: StoreContext, runId: string, options: ListCommandsOptions): Promise<CommandPage> {
  checkId(runId, "runId");
  const pageLength = positiveInteger(options.pageLength, 20, "pageLength");
  if (options.cursor !== undefined && (!Number.isInteger(options.cursor) || options.cursor < 0)) {
    throw new InvalidOptionsError(`cursor must be a non-negative integer, got ${String(options.cursor)}`);
  }
  const client = context.client;
  // Two reads without a transaction are consistent here: rows below command_count were committed with it and
  // never change (only deleteRun removes them), and the page is capped at the count read first.
  const run = await client.execute({ sql: "SELECT command_count FROM runs WHERE id = ?", args: [runId] });
  const runRow = run.rows[0];
  if (!runRow) {
    // A quarantined record is listed as a run with no commands.
    if (await isQuarantined(client, runId)) return { commands: [], cursor: options.cursor ?? 0, totalLength: 0 };
    throw new RunNotFoundError(`no run with id ${runId}`);
  }
  const totalLength = Number(runRow[0]);
  const cursor = options.cursor ?? Math.max(0, totalLength - pageLength);
  const end = Math.min(cursor + pageLength, totalLength);
  if (cursor >= end) return { commands: [], cursor, totalLength };
  const result = await client.execute({
    sql: "SELECT idx, version, doc FROM commands WHERE run_id = ? AND idx >= ? AND idx < ? ORDER BY idx",
    args: [runId, cursor, end],
  });
  const commands = result.rows.map((row) => decodeCommand(row));
  if (!commands.some((command) => command.kind === "bad")) return { commands: commands as StoredCommand[], cursor, totalLength };
  const ids = await rawCommandIds(context, runId, cursor, end);
  return {
    commands: commands.map((command) => (command.kind === "bad" ? { ...command, id: ids.get(command.index) ?? "" } : command)),
    cursor,
    totalLength,
  };
}

const lenientUtf8 = new TextDecoder();

type DecodedCommand = StoredCommand | { readonly kind: "bad"; readonly index: number; readonly dataError: DataError };

function decodeCommand(row: Row): DecodedCommand {
  const index = Number(row.idx);
  const decoded = decodeStored(commandCodec, String(row.doc), Number(row.version));
  if (decoded.ok) return { kind: "ok", index, command: decoded.value };
  return { kind: "bad", index, dataError: decoded.dataError };
}

/**
 * The ids of the commands from `start` to `end` (excluded), read as bytes and decoded leniently: a database written by an older
 * version may hold ids that are not UTF-8, which libSQL cannot read as text without aborting the process.
 */
async function rawCommandIds(context: StoreContext, runId: string, start: number, end: number): Promise<Map<number, string>> {
  const result = await context.client.execute({
    sql: "SELECT idx, CAST(command_id AS BLOB) FROM commands WHERE run_id = ? AND idx >= ? AND idx < ?",
    args: [runId, start, end],
  });
  return new Map(result.rows.map((row) => [Number(row[0]), lenientUtf8.decode(row[1] as ArrayBuffer)]));
}
