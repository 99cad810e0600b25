/**
 * Runs in the run store: queried fields as columns, the run's actions and its end-of-run summary as codec
 * documents. Records put aside by `quarantineRun` are listed with the runs, as bad runs.
 *
 * @module
 */
import type { Row, Transaction } from "@libsql/client";
import { InvalidRecordError, RunAlreadyFinishedError, RunNotFoundError, StorageError } from "./errors.ts";
import { requireProtocol } from "./protocols.ts";
import { QUARANTINE_COLUMNS, quarantinedBadRun, refuseQuarantinedId } from "./quarantine.ts";
import { checkId, decodeStored, encodeRecord, newId, positiveInteger } from "./record_contract.ts";
import {
  type BadRun,
  type DataError,
  type Run,
  type RunAction,
  runCodec,
  type RunDocument,
  type RunSummary,
  runSummaryCodec,
} from "./records.ts";
import { expectRowsWritten, insertOrExists, type StoreContext } from "./store_context.ts";
import { iso, optionalIso, parseTime } from "./times.ts";

/** A run to create, in status `idle`. */
export interface NewRun {
  readonly id?: string;
  /** The protocol the run executes, if any; it must exist. */
  readonly protocolId?: string | null;
  readonly createdAt?: string;
}

/** An action on a run: `play` sets it `running` (and `startedAt` once), `pause` → `paused`, `stop` → `stop-requested`. */
export interface NewRunAction {
  readonly id?: string;
  readonly actionType: "play" | "pause" | "stop";
  readonly createdAt?: string;
}

/** Options of `listRuns`. */
export interface ListRunsOptions {
  /** How many runs at most, newest first. Default 100. */
  readonly limit?: number;
  /** A run id: list only runs created before that run (the next page after it). */
  readonly before?: string;
}

const RUN_COLUMNS =
  "id, protocol_id, created_at, started_at, completed_at, interrupted_at, status, command_count, version, doc, summary_version, summary, NULL AS q_code, NULL AS q_message";

/** Marks every unfinished run interrupted (done once, when a store opens). */
export async function markInterruptedRuns(context: StoreContext): Promise<void> {
  await context.write(async (tx, now) => {
    const marked = await tx.execute({
      sql: "UPDATE runs SET interrupted_at = ? WHERE completed_at IS NULL AND interrupted_at IS NULL RETURNING id",
      args: [now],
    });
    return {
      result: undefined,
      changes: marked.rows.map((row) => ({ entity: "run" as const, id: String(row[0]), kind: "interrupted" as const })),
    };
  });
}

/** Creates a run; see `RunStore.createRun`. */
export async function createRun(context: StoreContext, run: NewRun): Promise<Run> {
  const id = newId(run?.id, "id");
  const createdAt = parseTime(run.createdAt, "createdAt", context.clock);
  const protocolId = run.protocolId === undefined || run.protocolId === null ? null : checkId(run.protocolId, "protocolId");
  const document: RunDocument = { actions: [] };
  const encoded = encodeRecord(runCodec, document, "run", context.limits.maxRecordBytes);
  await context.write(async (tx) => {
    if (protocolId !== null) await requireProtocol(tx, protocolId);
    await refuseQuarantinedId(tx, id);
    await insertOrExists(
      tx,
      {
        sql: "INSERT INTO runs (id, protocol_id, created_at, status, command_count, version, doc) VALUES (?, ?, ?, 'idle', 0, ?, ?)",
        args: [id, protocolId, createdAt, encoded.version, encoded.text],
      },
      `a run with id ${id} already exists`,
    );
    return { result: undefined, changes: [{ entity: "run", id, kind: "created" }] };
  });
  return {
    kind: "ok",
    id,
    protocolId,
    createdAt: iso(createdAt),
    startedAt: null,
    completedAt: null,
    status: "idle",
    commandCount: 0,
    actions: [],
    summary: null,
  };
}

/** Reads a run or quarantined record; see `RunStore.getRun`. */
export async function getRun(context: StoreContext, id: string): Promise<Run | BadRun> {
  checkId(id, "id");
  const result = await context.client.execute({
    sql: `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ? UNION ALL SELECT ${QUARANTINE_COLUMNS} FROM quarantine WHERE id = ?`,
    args: [id, id],
  });
  const row = result.rows[0];
  if (!row) throw new RunNotFoundError(`no run with id ${id}`);
  return runFromRow(row);
}

/** Runs and quarantined records, newest first; see `RunStore.listRuns`. */
export async function listRuns(context: StoreContext, options: ListRunsOptions): Promise<readonly (Run | BadRun)[]> {
  const limit = positiveInteger(options.limit, 100, "limit");
  const client = context.client;
  // Two indexed queries merged here rather than one UNION with a sort: the quarantine is usually empty.
  let runs: readonly Row[];
  let quarantined: readonly Row[];
  if (options.before === undefined) {
    [runs, quarantined] = await Promise.all([
      client.execute({ sql: `SELECT ${RUN_COLUMNS} FROM runs ORDER BY created_at DESC, id DESC LIMIT ?`, args: [limit] }).then((r) => r.rows),
      client.execute({ sql: `SELECT ${QUARANTINE_COLUMNS} FROM quarantine ORDER BY created_at DESC, id DESC LIMIT ?`, args: [limit] }).then((r) => r.rows),
    ]);
  } else {
    const before = checkId(options.before, "before");
    const anchor = await client.execute({
      sql: "SELECT created_at FROM runs WHERE id = ? UNION ALL SELECT created_at FROM quarantine WHERE id = ?",
      args: [before, before],
    });
    const anchorRow = anchor.rows[0];
    if (!anchorRow) throw new RunNotFoundError(`listRuns: no run with id ${before} to list before`);
    const at = anchorRow[0]!;
    [runs, quarantined] = await Promise.all([
      client
        .execute({
          sql: `SELECT ${RUN_COLUMNS} FROM runs WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?`,
          args: [at, before, limit],
        })
        .then((r) => r.rows),
      client
        .execute({
          sql: `SELECT ${QUARANTINE_COLUMNS} FROM quarantine WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?`,
          args: [at, before, limit],
        })
        .then((r) => r.rows),
    ]);
  }
  return mergeNewestFirst(runs, quarantined, limit).map(runFromRow);
}

/** Merges two lists sorted newest first (created_at, then id, descending) into the first `limit` rows. */
function mergeNewestFirst(a: readonly Row[], b: readonly Row[], limit: number): Row[] {
  if (b.length === 0) return a.slice(0, limit);
  const merged: Row[] = [];
  let i = 0;
  let j = 0;
  while (merged.length < limit && (i < a.length || j < b.length)) {
    if (j >= b.length || (i < a.length && newerOrEqual(a[i]!, b[j]!))) merged.push(a[i++]!);
    else merged.push(b[j++]!);
  }
  return merged;
}

function newerOrEqual(x: Row, y: Row): boolean {
  const dx = Number(x.created_at);
  const dy = Number(y.created_at);
  if (dx !== dy) return dx > dy;
  // SQLite compares text by its bytes (UTF-8); for well-formed text that is code point order.
  return compareCodePoints(String(x.id), String(y.id)) >= 0;
}

function compareCodePoints(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const dx = x.value.codePointAt(0)!;
    const dy = y.value.codePointAt(0)!;
    if (dx !== dy) return dx < dy ? -1 : 1;
  }
}

/** Records an action on a live run; see `RunStore.addRunAction`. */
export async function addRunAction(context: StoreContext, runId: string, action: NewRunAction): Promise<RunAction> {
  checkId(runId, "runId");
  const status = { play: "running", pause: "paused", stop: "stop-requested" }[action?.actionType];
  if (status === undefined) {
    throw new InvalidRecordError(`actionType must be "play", "pause" or "stop", got ${JSON.stringify(action?.actionType)}`);
  }
  const createdAtMs = parseTime(action.createdAt, "createdAt", context.clock);
  const recorded: RunAction = { id: newId(action.id, "action.id"), actionType: action.actionType, createdAt: iso(createdAtMs) };
  return await context.write(async (tx) => {
    const row = await liveRun(tx, runId);
    const decoded = decodeStored(runCodec, String(row.doc), Number(row.version));
    if (!decoded.ok) {
      throw new InvalidRecordError(`run ${runId}: its stored document cannot be decoded (${decoded.dataError.message})`);
    }
    const encoded = encodeRecord(runCodec, { ...decoded.value, actions: [...decoded.value.actions, recorded] }, "run", context.limits.maxRecordBytes);
    const updated = await tx.execute({
      sql:
        "UPDATE runs SET version = ?, doc = ?, status = ?, started_at = CASE WHEN ? = 'play' THEN coalesce(started_at, ?) ELSE started_at END WHERE id = ?",
      args: [encoded.version, encoded.text, status, action.actionType, createdAtMs, runId],
    });
    expectRowsWritten(updated, 1, `run ${runId}: the action`);
    return { result: recorded, changes: [{ entity: "run", id: runId, kind: "action" }] };
  });
}

/** Writes the run's summary and ends it; see `RunStore.finishRun`. */
export async function finishRun(context: StoreContext, runId: string, summary: RunSummary): Promise<Run> {
  checkId(runId, "runId");
  const encoded = encodeRecord(runSummaryCodec, summary, "summary", context.limits.maxRecordBytes);
  await context.write(async (tx, now) => {
    await liveRun(tx, runId);
    const updated = await tx.execute({
      sql: "UPDATE runs SET summary = ?, summary_version = ?, status = ?, completed_at = ? WHERE id = ?",
      args: [encoded.text, encoded.version, summary.status, now, runId],
    });
    expectRowsWritten(updated, 1, `run ${runId}: the summary`);
    return { result: undefined, changes: [{ entity: "run", id: runId, kind: "finished" }] };
  });
  const run = await getRun(context, runId);
  if (run.kind === "bad") {
    throw new StorageError(`run ${runId} was finished but reads back as a bad run: ${run.dataError.message}`);
  }
  return run;
}

/** Deletes a run, its commands, or a quarantined record; see `RunStore.deleteRun`. */
export async function deleteRun(context: StoreContext, id: string): Promise<void> {
  checkId(id, "id");
  await context.write(async (tx) => {
    // Explicit, so a server without foreign-key enforcement still drops the commands.
    await tx.execute({ sql: "DELETE FROM commands WHERE run_id = ?", args: [id] });
    const deleted = await tx.execute({ sql: "DELETE FROM runs WHERE id = ?", args: [id] });
    if (deleted.rowsAffected === 0) {
      const unquarantined = await tx.execute({ sql: "DELETE FROM quarantine WHERE id = ?", args: [id] });
      if (unquarantined.rowsAffected === 0) throw new RunNotFoundError(`no run with id ${id}`);
    }
    return { result: undefined, changes: [{ entity: "run", id, kind: "deleted" }] };
  });
}

/** Reads a run that can still change: it exists, is not finished, and was not interrupted. */
export async function liveRun(tx: Transaction, runId: string): Promise<Row> {
  const result = await tx.execute({
    sql: "SELECT completed_at, interrupted_at, command_count, version, doc FROM runs WHERE id = ?",
    args: [runId],
  });
  const row = result.rows[0];
  if (!row) throw new RunNotFoundError(`no run with id ${runId}`);
  if (row.completed_at !== null) throw new RunAlreadyFinishedError(`run ${runId} is finished; its history is closed`);
  if (row.interrupted_at !== null) {
    throw new RunAlreadyFinishedError(`run ${runId} was interrupted (its process died before finishRun); its history is closed`);
  }
  return row;
}

function runFromRow(row: Row): Run | BadRun {
  if (row.q_code !== null && row.q_code !== undefined) {
    return quarantinedBadRun(String(row.id), Number(row.created_at), String(row.q_code), String(row.q_message));
  }
  const columns = {
    id: String(row.id),
    protocolId: row.protocol_id === null ? null : String(row.protocol_id),
    createdAt: iso(Number(row.created_at)),
    startedAt: optionalIso(row.started_at),
    completedAt: optionalIso(row.completed_at),
    status: String(row.status),
    commandCount: Number(row.command_count),
  };
  const document = decodeStored(runCodec, String(row.doc), Number(row.version));
  const summary =
    row.summary === null ? undefined : decodeStored(runSummaryCodec, String(row.summary), Number(row.summary_version));
  const interruptedAt = optionalIso(row.interrupted_at);
  const dataError: DataError | undefined =
    (document.ok ? undefined : document.dataError) ??
    (summary && !summary.ok ? summary.dataError : undefined) ??
    (summary === undefined && interruptedAt !== null
      ? {
          code: "RUN_INTERRUPTED" as const,
          message: `run ${columns.id} was interrupted: its process stopped before the run finished, so it has no summary`,
        }
      : undefined);
  if (dataError === undefined) {
    return {
      kind: "ok",
      ...columns,
      actions: document.ok ? document.value.actions : [],
      summary: summary?.ok ? summary.value : null,
    };
  }
  return {
    kind: "bad",
    ...columns,
    dataError,
    interruptedAt,
    ...(document.ok ? { actions: document.value.actions } : {}),
    ...(summary?.ok ? { summary: summary.value } : {}),
  };
}
