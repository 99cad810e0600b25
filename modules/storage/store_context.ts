/**
 * What every part of the run store shares: the libSQL client, the clock, the byte limits, and the one write
 * path (a transaction through the writer queue, its change entries logged in the same transaction, listeners
 * notified after the commit). The protocol, analysis, run and command files take a `StoreContext`.
 *
 * @module
 */
import type { Client, InStatement, ResultSet, Transaction } from "@libsql/client";
import type { BulkLoad } from "./bulk_load.ts";
import { type ChangeEntry, type PendingChange, recordChanges } from "./change_feed.ts";
import { AlreadyExistsError, StorageError, StoreClosedError, WriteVerificationError } from "./errors.ts";
import type { ResolvedLimits } from "./record_contract.ts";
import type { Clock } from "./times.ts";
import { WriterQueue } from "./writer_queue.ts";

/** What a write job returns: its result, and the changes to log with it. */
export interface WriteOutcome<T> {
  readonly result: T;
  readonly changes: readonly PendingChange[];
}

/** Something that runs a statement: the client (reads) or a write transaction. */
export type Executor = Pick<Client, "execute"> | Pick<Transaction, "execute">;

/** The shared state of one open store. */
export class StoreContext {
  readonly client: Client;
  readonly clock: Clock;
  readonly limits: ResolvedLimits;
  /** True during a bulk load (`durability: "close"`): command ids are checked for repeats by `appendCommands`, not by the index. */
  readonly bulkLoad: boolean;
  readonly #onListenerError: (error: unknown, change: ChangeEntry) => void;
  readonly #queue = new WriterQueue();
  readonly #listeners = new Set<(change: ChangeEntry) => void>();
  readonly #finish: BulkLoad | undefined;
  /** The client itself; `client` is the same with reads that wait for an open write transaction. */
  readonly #raw: Client;
  /** Settles when the open write transaction (if any) ends. */
  #writeOpen: Promise<void> | undefined;
  #closed: Promise<void> | undefined;

  /**
   * Wraps an open client; `onListenerError` receives errors thrown by subscribers; `finish` is the bulk load
   * that `close()` completes (`durability: "close"`).
   */
  constructor(
    client: Client,
    clock: Clock,
    limits: ResolvedLimits,
    onListenerError: (error: unknown, change: ChangeEntry) => void,
    finish?: BulkLoad,
  ) {
    this.#raw = client;
    this.client = readsWaitForWrites(client, () => this.#writeOpen);
    this.clock = clock;
    this.limits = limits;
    this.#onListenerError = onListenerError;
    this.#finish = finish;
    this.bulkLoad = finish !== undefined;
  }

  /** Throws `StoreClosedError` after `close()`. */
  checkOpen(): void {
    if (this.#closed !== undefined) throw new StoreClosedError("the run store is closed; open it again with openRunStore");
  }

  /**
   * Runs `job` in one write transaction through the writer queue, records its changes in the same transaction,
   * commits, then notifies listeners. Resolves only after the commit; any throw rolls the transaction back.
   */
  write<T>(job: (tx: Transaction, now: number) => Promise<WriteOutcome<T>>): Promise<T> {
    return this.#queue.run(async () => {
      // Reads wait while the transaction holds the store's one connection (see `readsWaitForWrites`).
      let endWrite!: () => void;
      this.#writeOpen = new Promise((resolve) => (endWrite = resolve));
      let committed: { result: T; changes: readonly ChangeEntry[] };
      try {
        committed = await this.#transaction(job);
      } finally {
        this.#writeOpen = undefined;
        endWrite();
      }
      this.#notify(committed.changes);
      return committed.result;
    });
  }

  /** One write transaction: `job`, its changes logged, the commit; any throw rolls it back. */
  async #transaction<T>(job: (tx: Transaction, now: number) => Promise<WriteOutcome<T>>): Promise<{ result: T; changes: readonly ChangeEntry[] }> {
    const tx = await this.#raw.transaction("write");
    try {
      const now = this.clock.now();
      const outcome = await job(tx, now);
      const changes = outcome.changes.length === 0 ? [] : await recordChanges(tx, outcome.changes, now);
      await tx.commit();
      return { result: outcome.result, changes };
    } catch (error) {
      if (!tx.closed) {
        try {
          await tx.rollback();
        } catch (rollbackError) {
          throw new StorageError(`a write failed (${errorMessage(error)}) and its rollback failed too`, {
            cause: new AggregateError([error, rollbackError]),
          });
        }
      }
      throw error;
    } finally {
      tx.close();
    }
  }

  /** Adds a change listener; returns the function that removes it. */
  subscribe(listener: (change: ChangeEntry) => void): () => void {
    // Wrapped, so subscribing the same function twice gives two independent subscriptions.
    const entry = (change: ChangeEntry): void => listener(change);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /**
   * Refuses further calls, waits for queued writes, drops listeners and closes the client (finishing a bulk
   * load first, and making it durable after). Every call resolves when all of that is done.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    await this.#queue.drain();
    this.#listeners.clear();
    try {
      await this.#finish?.beforeClose(this.#raw);
    } finally {
      this.#raw.close();
    }
    await this.#finish?.afterClose();
  }

  #notify(changes: readonly ChangeEntry[]): void {
    for (const change of changes) {
      for (const listener of [...this.#listeners]) {
        try {
          listener(change);
        } catch (error) {
          this.#onListenerError(error, change);
        }
      }
    }
  }
}

/**
 * The client with an `execute` that waits while a write transaction of this store is open. The store keeps one
 * connection (see `openRunStore`), and a write transaction holds it across its statements: a read in between would
 * be refused (`TRANSACTION_ACTIVE`) instead of waiting. Reads wait for the transaction to end (they then see its
 * commit, or nothing of it), and try again should another write have taken the connection first.
 */
function readsWaitForWrites(client: Client, writeOpen: () => Promise<void> | undefined): Client {
  const execute: Client["execute"] = async (...args: Parameters<Client["execute"]>) => {
    for (;;) {
      for (let open = writeOpen(); open !== undefined; open = writeOpen()) await open;
      try {
        return await (client.execute as (...a: typeof args) => Promise<ResultSet>)(...args);
      } catch (error) {
        if ((error as { code?: unknown }).code !== "TRANSACTION_ACTIVE" || writeOpen() === undefined) throw error;
      }
    }
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === "execute") return execute;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Checks the database's own count of the rows a statement wrote against what the write asked for; a mismatch
 * throws `WriteVerificationError`, which rolls the write back: nothing is acknowledged that is not there.
 */
export function expectRowsWritten(result: ResultSet, expected: number, what: string): void {
  if (result.rowsAffected !== expected) {
    throw new WriteVerificationError(
      `${what}: the database wrote ${result.rowsAffected} rows where ${expected} were asked for; the write was rolled back`,
    );
  }
}

/** Runs an insert that must write one row; a unique violation becomes `AlreadyExistsError(message)`. */
export async function insertOrExists(tx: Transaction, statement: InStatement, message: string): Promise<void> {
  let result: ResultSet;
  try {
    result = await tx.execute(statement);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AlreadyExistsError(message, { cause: error });
    throw error;
  }
  expectRowsWritten(result, 1, "insert");
}

/** True when `error` (or one of its causes) is a unique or primary-key violation, on `table` if given. */
export function isUniqueViolation(error: unknown, table?: string): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    const constraint =
      (typeof code === "string" && (code.startsWith("SQLITE_CONSTRAINT_UNIQUE") || code.startsWith("SQLITE_CONSTRAINT_PRIMARYKEY"))) ||
      current.message.includes("UNIQUE constraint failed");
    if (constraint && (table === undefined || current.message.includes(`${table}.`))) return true;
  }
  return false;
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
