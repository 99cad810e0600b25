/**
 * Quarantined records: what a migration could not convert into a run, kept with its original bytes and the
 * reason instead of being dropped. They read as bad runs and are deleted with `deleteRun`.
 *
 * @module
 */
import type { Transaction } from "@libsql/client";
import { AlreadyExistsError, InvalidRecordError, RunNotFoundError, TooLargeError } from "./errors.ts";
import { checkColumnText, checkId, MAX_ID_BYTES } from "./record_contract.ts";
import type { BadRun, QuarantinedRun, QuarantineRecord } from "./records.ts";
import { type Executor, insertOrExists, type StoreContext } from "./store_context.ts";
import { iso, parseTime } from "./times.ts";

/** The status a quarantined record is listed with. */
const QUARANTINE_STATUS = "quarantined";

/** Quarantined records read as rows of the runs' shape (`q_code` set), so one query lists both. */
export const QUARANTINE_COLUMNS =
  "id, NULL AS protocol_id, created_at, NULL AS started_at, NULL AS completed_at, NULL AS interrupted_at, 'quarantined' AS status, 0 AS command_count, NULL AS version, NULL AS doc, NULL AS summary_version, NULL AS summary, code AS q_code, message AS q_message";

/** Stores a record a migration could not convert; see `RunStore.quarantineRun`. */
export async function quarantineRun(context: StoreContext, record: QuarantineRecord): Promise<BadRun> {
  if (typeof record !== "object" || record === null) throw new InvalidRecordError("quarantineRun takes a record { id, bytes, code, message }");
  const id = checkId(record.id, "id");
  if (!(record.bytes instanceof Uint8Array)) throw new InvalidRecordError("bytes must be a Uint8Array");
  if (record.bytes.byteLength > context.limits.maxBatchBytes) {
    throw new TooLargeError(`bytes is ${record.bytes.byteLength} bytes, over the limit of ${context.limits.maxBatchBytes}`);
  }
  const code = checkColumnText(record.code, "code", MAX_ID_BYTES);
  const message = checkColumnText(record.message, "message", context.limits.maxRecordBytes, true);
  const createdAt = parseTime(record.createdAt, "createdAt", context.clock);
  // A copy: the caller may reuse its buffer, and a view of a larger buffer must store only its own bytes.
  const bytes = record.bytes.slice();
  await context.write(async (tx) => {
    const taken = await tx.execute({ sql: "SELECT 1 FROM runs WHERE id = ?", args: [id] });
    if (taken.rows.length > 0) throw new AlreadyExistsError(`a run with id ${id} already exists`);
    await insertOrExists(
      tx,
      { sql: "INSERT INTO quarantine (id, created_at, code, message, bytes) VALUES (?, ?, ?, ?, ?)", args: [id, createdAt, code, message, bytes] },
      `a quarantined record with id ${id} already exists`,
    );
    return { result: undefined, changes: [{ entity: "run", id, kind: "created" }] };
  });
  return quarantinedBadRun(id, createdAt, code, message);
}

/** A quarantined record with its bytes; see `RunStore.getQuarantinedRun`. */
export async function getQuarantinedRun(context: StoreContext, id: string): Promise<QuarantinedRun> {
  checkId(id, "id");
  const result = await context.client.execute({ sql: "SELECT id, created_at, code, message, bytes FROM quarantine WHERE id = ?", args: [id] });
  const row = result.rows[0];
  if (!row) throw new RunNotFoundError(`no quarantined record with id ${id}`);
  return {
    id: String(row.id),
    createdAt: iso(Number(row.created_at)),
    code: String(row.code),
    message: String(row.message),
    bytes: new Uint8Array(row.bytes as ArrayBuffer),
  };
}

/** The `BadRun` a quarantined record is listed as. */
export function quarantinedBadRun(id: string, createdAtMs: number, code: string, message: string): BadRun {
  return {
    kind: "bad",
    id,
    protocolId: null,
    createdAt: iso(createdAtMs),
    startedAt: null,
    completedAt: null,
    status: QUARANTINE_STATUS,
    commandCount: 0,
    dataError: { code, message },
    interruptedAt: null,
    quarantined: true,
  };
}

/** True when a quarantined record has the id. */
export async function isQuarantined(executor: Executor, id: string): Promise<boolean> {
  const result = await executor.execute({ sql: "SELECT 1 FROM quarantine WHERE id = ?", args: [id] });
  return result.rows.length > 0;
}

/** Throws `AlreadyExistsError` when a quarantined record has the id (ids are shared with runs). */
export async function refuseQuarantinedId(tx: Transaction, id: string): Promise<void> {
  if (await isQuarantined(tx, id)) throw new AlreadyExistsError(`a quarantined record has the id ${id}; delete it first`);
}
