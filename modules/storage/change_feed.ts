/**
 * The store's durable change log: entries are written in the same transaction as the change they describe,
 * so the log and the data never disagree, and a consumer that was down catches up from its last `seq`.
 *
 * @module
 */
import type { Client, Row, Transaction } from "@libsql/client";
import { InvalidOptionsError } from "./errors.ts";
import { positiveInteger } from "./record_contract.ts";
import { iso } from "./times.ts";

/** What a change entry is about. */
export type ChangeEntity = "protocol" | "analysis" | "run";

/**
 * What happened: `created`; `action` (a run action); `commands` (commands appended to the run); `finished`
 * (`finishRun`); `interrupted` (a store opened and found the run unfinished); `deleted`.
 */
export type ChangeKind = "created" | "action" | "commands" | "finished" | "interrupted" | "deleted";

/** One entry of the durable change log, written in the same transaction as the change. */
export interface ChangeEntry {
  /** Increasing sequence number; never reused, even after deletes. */
  readonly seq: number;
  readonly entity: ChangeEntity;
  readonly id: string;
  readonly kind: ChangeKind;
  /** ISO 8601 time of the change. */
  readonly at: string;
}

/** Options of `changes`. */
export interface ChangesOptions {
  /** How many entries at most. Default 1000. */
  readonly limit?: number;
}

/** A change a write makes, before it is logged. */
export interface PendingChange {
  readonly entity: ChangeEntity;
  readonly id: string;
  readonly kind: ChangeKind;
}

/** Logs `changes` inside the write's transaction and returns the entries with their sequence numbers. */
export async function recordChanges(tx: Transaction, changes: readonly PendingChange[], now: number): Promise<ChangeEntry[]> {
  // Plain bound parameters, never text extracted from JSON by SQL: what is logged is exactly what was checked.
  const entries: ChangeEntry[] = [];
  for (const change of changes) {
    const result = await tx.execute({
      sql: "INSERT INTO changes (entity, id, kind, at) VALUES (?, ?, ?, ?) RETURNING seq",
      args: [change.entity, change.id, change.kind, now],
    });
    entries.push({ seq: Number(result.rows[0]![0]), entity: change.entity, id: change.id, kind: change.kind, at: iso(now) });
  }
  return entries;
}

/** The log entries after `sinceSeq`, in order, at most `options.limit` (default 1000). */
export async function readChanges(client: Client, sinceSeq: number, options: ChangesOptions): Promise<readonly ChangeEntry[]> {
  if (!Number.isInteger(sinceSeq) || sinceSeq < 0) {
    throw new InvalidOptionsError(`sinceSeq must be a non-negative integer, got ${String(sinceSeq)}`);
  }
  const limit = positiveInteger(options.limit, 1000, "limit");
  const result = await client.execute({
    sql: "SELECT seq, entity, id, kind, at FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
    args: [sinceSeq, limit],
  });
  return result.rows.map(changeFromRow);
}

function changeFromRow(row: Row): ChangeEntry {
  return {
    seq: Number(row.seq),
    entity: String(row.entity) as ChangeEntity,
    id: String(row.id),
    kind: String(row.kind) as ChangeKind,
    at: iso(Number(row.at)),
  };
}
