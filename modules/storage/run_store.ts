/**
 * The robot's run store: protocols, their analyses, runs and the commands of each run (one row per command) in
 * one libSQL database, with a durable change feed. Open it with `openRunStore`.
 *
 * Durability: every write is one transaction that goes through the store's writer queue, and its promise
 * resolves only after the commit. On a `file:` URL the database is in WAL mode and
 * - `durability: "process"` (synchronous=NORMAL): a write whose promise resolved survives `kill -9` of the
 *   process at any later instant; a power cut or OS crash may roll back the last few committed writes, never
 *   corrupt the database or keep half of a write;
 * - `durability: "power"` (synchronous=FULL): a write whose promise resolved also survives a power cut.
 * A write that had not resolved when the process died is either wholly there or wholly absent.
 * - `durability: "close"`, for filling a new database in bulk (a migration's destination): nothing is durable
 *   until `close()` resolves, and then everything is, power cut included (see `bulk_load.ts`). A process that
 *   dies before that may leave the file unreadable, so it is only allowed on a database that does not exist yet.
 *
 * @module
 */
import console from "node:console";
import { createClient, type Client } from "@libsql/client";
import { addAnalysis, getAnalysis, getAnalysisDocument, listAnalyses, type NewAnalysis } from "./analyses.ts";
import { applyMigrations } from "./apply_migrations.ts";
import { bulkLoadTarget } from "./bulk_load.ts";
import { type ChangeEntry, type ChangesOptions, readChanges } from "./change_feed.ts";
import type { EncodedCommands } from "./command_batch.ts";
import { appendCommands, appendEncodedCommands, type AppendResult, type CommandPage, getCommand, listCommands, type ListCommandsOptions } from "./commands.ts";
import { InvalidOptionsError } from "./errors.ts";
import { MIGRATIONS } from "./migrations.ts";
import { createProtocol, getProtocol, listProtocols, type NewProtocol } from "./protocols.ts";
import { getQuarantinedRun, quarantineRun } from "./quarantine.ts";
import { resolveLimits, type StoreLimits } from "./record_contract.ts";
import type {
  Analysis,
  AnalysisInfo,
  BadAnalysis,
  BadProtocol,
  BadRun,
  Protocol,
  QuarantinedRun,
  QuarantineRecord,
  Run,
  RunAction,
  RunCommand,
  RunSummary,
  StoredCommand,
} from "./records.ts";
import {
  addRunAction,
  createRun,
  deleteRun,
  finishRun,
  getRun,
  listRuns,
  type ListRunsOptions,
  markInterruptedRuns,
  type NewRun,
  type NewRunAction,
} from "./runs.ts";
import { errorMessage, StoreContext } from "./store_context.ts";
import type { Clock } from "./times.ts";

/**
 * What a committed write promises on a `file:` database. `"process"`: WAL with synchronous=NORMAL, survives a
 * killed process (a power cut may roll back the last writes, never corrupt). `"power"`: WAL with
 * synchronous=FULL, also survives a power cut. `"close"`: for filling a new database in bulk; nothing is durable
 * until `close()` resolves, then everything is (power cut included); only for a `file:` database that does not
 * exist yet, to be thrown away if the process dies first. On a remote libSQL URL the server decides.
 */
export type Durability = "process" | "power" | "close";

/** Options of `openRunStore`. */
export interface RunStoreOptions {
  /** A libSQL URL: `file:path/to/runs.db` on the robot, or `libsql://`, `http(s)://`, `ws(s)://` for a server. */
  readonly url: string;
  /** What a committed write survives on a `file:` database. Default `"process"`. */
  readonly durability?: Durability;
  /** The auth token for a remote URL. */
  readonly authToken?: string;
  /** How long a write waits for a lock held by another process, in milliseconds. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** The clock for created/started/completed times and change entries. Default `Date`. */
  readonly clock?: Clock;
  /** Receives errors thrown by `subscribe` listeners (the write has committed). Default `console.error`. */
  readonly onListenerError?: (error: unknown, change: ChangeEntry) => void;
  /** Byte limits of records and batches (lower than the defaults only). See the README's input contract. */
  readonly limits?: StoreLimits;
}

/** The run store; see `openRunStore`. */
export interface RunStore {
  /** Creates a protocol. Throws `AlreadyExistsError` for a taken id, `InvalidRecordError` for an invalid record. */
  createProtocol(protocol: NewProtocol): Promise<Protocol>;
  /** Reads a protocol, or a `BadProtocol` if its document does not decode. Throws `ProtocolNotFoundError`. */
  getProtocol(id: string): Promise<Protocol | BadProtocol>;
  /** Lists every protocol, oldest first; a protocol that does not decode is listed as a `BadProtocol`. */
  listProtocols(): Promise<readonly (Protocol | BadProtocol)[]>;
  /** Stores an analysis of a protocol. Throws `ProtocolNotFoundError`, `AlreadyExistsError`, `InvalidRecordError`. */
  addAnalysis(analysis: NewAnalysis): Promise<AnalysisInfo>;
  /** Lists a protocol's analyses with their decoded documents, oldest first. Throws `ProtocolNotFoundError`. */
  listAnalyses(protocolId: string): Promise<readonly (Analysis | BadAnalysis)[]>;
  /** Reads one analysis with its decoded document. Throws `AnalysisNotFoundError`. */
  getAnalysis(id: string): Promise<Analysis | BadAnalysis>;
  /** The analysis document as stored, not parsed: the fast path for serving it over HTTP. */
  getAnalysisDocument(id: string): Promise<string>;
  /** Creates a run in status `idle`. Throws `ProtocolNotFoundError`, `AlreadyExistsError`. */
  createRun(run?: NewRun): Promise<Run>;
  /** Reads a run, or a `BadRun`. Throws `RunNotFoundError`. */
  getRun(id: string): Promise<Run | BadRun>;
  /** Lists runs newest first; a run that cannot be read whole is listed as a `BadRun`, never an error. */
  listRuns(options?: ListRunsOptions): Promise<readonly (Run | BadRun)[]>;
  /** Records an action on a live run. Throws `RunNotFoundError`, `RunAlreadyFinishedError`. */
  addRunAction(runId: string, action: NewRunAction): Promise<RunAction>;
  /**
   * Appends commands to a live run in one transaction; they get the next indexes in order. Once it resolves
   * they survive `kill -9`. Throws `RunNotFoundError`, `RunAlreadyFinishedError`, `InvalidRecordError`,
   * `DuplicateCommandError` (nothing of the batch is written).
   */
  appendCommands(runId: string, commands: readonly RunCommand[]): Promise<AppendResult>;
  /**
   * `appendCommands` for commands already checked and stringified by `encodeCommands` (on another thread, say):
   * the same transaction, guarantees and errors. What could crash, alter or lose data is checked again; a text
   * that is otherwise not a valid command reads back as a bad record.
   */
  appendEncodedCommands(runId: string, encoded: EncodedCommands): Promise<AppendResult>;
  /** Reads one command of a run by its id. Throws `RunNotFoundError`, `CommandNotFoundError`. */
  getCommand(runId: string, commandId: string): Promise<StoredCommand>;
  /** A page of a run's commands; without a cursor, the last page. Throws `RunNotFoundError`. */
  listCommands(runId: string, options?: ListCommandsOptions): Promise<CommandPage>;
  /** Writes the run's summary and ends it. Throws `RunNotFoundError`, `RunAlreadyFinishedError`, `InvalidRecordError`. */
  finishRun(runId: string, summary: RunSummary): Promise<Run>;
  /** Deletes a run (good, bad or quarantined) and its commands. Throws `RunNotFoundError`. */
  deleteRun(id: string): Promise<void>;
  /**
   * Keeps a record a migration could not convert: its bytes exactly, with a code and message. It is listed by
   * `listRuns`/`getRun` as a `BadRun` (`dataError` is the given code and message, status `"quarantined"`) and
   * removed by `deleteRun`. Throws `AlreadyExistsError` if a run or quarantined record has the id,
   * `InvalidRecordError` for an invalid record.
   */
  quarantineRun(record: QuarantineRecord): Promise<BadRun>;
  /** The original bytes and reason of a quarantined record. Throws `RunNotFoundError`. */
  getQuarantinedRun(id: string): Promise<QuarantinedRun>;
  /** The change log entries after `sinceSeq` (0 for all), in order, at most `limit`. */
  changes(sinceSeq?: number, options?: ChangesOptions): Promise<readonly ChangeEntry[]>;
  /** Calls `listener` with each change after it commits, in order; returns the unsubscribe function. */
  subscribe(listener: (change: ChangeEntry) => void): () => void;
  /** Waits for queued writes, then closes the database. Later calls throw `StoreClosedError`. */
  close(): Promise<void>;
}

const DURABILITY_PRAGMA: Readonly<Record<"process" | "power", string>> = { process: "NORMAL", power: "FULL" };

/**
 * Opens (creating if needed) the run store at `url`, applies pending migrations, and marks runs left unfinished
 * by a previous process as interrupted (they then read as `BadRun` with `RUN_INTERRUPTED`). The store assumes
 * it is the only process writing to the database.
 *
 * @example
 * ```ts
 * const store = await openRunStore({ url: "file:/var/lib/deckhand/runs.db", durability: "process" });
 * const run = await store.createRun({ protocolId: null });
 * await store.appendCommands(run.id, [{ id: "c1", commandType: "home", status: "succeeded" }]);
 * const page = await store.listCommands(run.id, { pageLength: 50 });
 * await store.finishRun(run.id, { status: "succeeded", errors: [] });
 * await store.close();
 * ```
 */
export async function openRunStore(options: RunStoreOptions): Promise<RunStore> {
  const { url, durability = "process", busyTimeoutMs = 5000 } = options ?? ({} as RunStoreOptions);
  if (typeof url !== "string" || url.length === 0) {
    throw new InvalidOptionsError('openRunStore needs a libSQL url, e.g. "file:runs.db"');
  }
  if (durability !== "process" && durability !== "power" && durability !== "close") {
    throw new InvalidOptionsError(`durability must be "process", "power" or "close", got ${JSON.stringify(durability)}`);
  }
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new InvalidOptionsError(`busyTimeoutMs must be a non-negative integer, got ${String(busyTimeoutMs)}`);
  }
  const limits = resolveLimits(options.limits);
  const isFile = url.startsWith("file:") || url === ":memory:";
  // Checked before the client creates the file.
  const bulk = durability === "close" ? await bulkLoadTarget(url) : undefined;
  let client: Client;
  try {
    client = createClient({
      url,
      ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
      // One connection: the PRAGMAs below are per connection, and the writer queue makes one enough. Should the
      // client ever replace it, libSQL's connection defaults (synchronous=FULL, foreign_keys=ON) are at least as
      // strong, and WAL mode is stored in the database file.
      ...(isFile ? { concurrency: 1, timeout: busyTimeoutMs } : {}),
    });
  } catch (error) {
    throw new InvalidOptionsError(`cannot open ${url}: ${errorMessage(error)}`, { cause: error });
  }
  try {
    if (bulk) {
      await bulk.beforeSchema(client);
    } else if (isFile) {
      await client.execute("PRAGMA journal_mode=WAL");
      await client.execute(`PRAGMA synchronous=${DURABILITY_PRAGMA[durability as "process" | "power"]}`);
      await client.execute(`PRAGMA busy_timeout=${busyTimeoutMs}`);
      await client.execute("PRAGMA foreign_keys=ON");
    }
    await applyMigrations(client, MIGRATIONS);
    await bulk?.afterOpen(client);
    const context = new StoreContext(client, options.clock ?? Date, limits, options.onListenerError ?? defaultListenerError, bulk);
    await markInterruptedRuns(context);
    return new LibsqlRunStore(context);
  } catch (error) {
    client.close();
    throw error;
  }
}

function defaultListenerError(error: unknown, change: ChangeEntry): void {
  console.error(`@deckhand/storage: a change listener threw on change ${change.seq}`, error);
}

/** The `RunStore` face: checks the store is open, then hands each call to the file of its concept. */
class LibsqlRunStore implements RunStore {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  #open(): StoreContext {
    this.#context.checkOpen();
    return this.#context;
  }

  createProtocol(protocol: NewProtocol): Promise<Protocol> {
    return run(() => createProtocol(this.#open(), protocol));
  }
  getProtocol(id: string): Promise<Protocol | BadProtocol> {
    return run(() => getProtocol(this.#open(), id));
  }
  listProtocols(): Promise<readonly (Protocol | BadProtocol)[]> {
    return run(() => listProtocols(this.#open()));
  }
  addAnalysis(analysis: NewAnalysis): Promise<AnalysisInfo> {
    return run(() => addAnalysis(this.#open(), analysis));
  }
  listAnalyses(protocolId: string): Promise<readonly (Analysis | BadAnalysis)[]> {
    return run(() => listAnalyses(this.#open(), protocolId));
  }
  getAnalysis(id: string): Promise<Analysis | BadAnalysis> {
    return run(() => getAnalysis(this.#open(), id));
  }
  getAnalysisDocument(id: string): Promise<string> {
    return run(() => getAnalysisDocument(this.#open(), id));
  }
  createRun(newRun: NewRun = {}): Promise<Run> {
    return run(() => createRun(this.#open(), newRun));
  }
  getRun(id: string): Promise<Run | BadRun> {
    return run(() => getRun(this.#open(), id));
  }
  listRuns(options: ListRunsOptions = {}): Promise<readonly (Run | BadRun)[]> {
    return run(() => listRuns(this.#open(), options));
  }
  addRunAction(runId: string, action: NewRunAction): Promise<RunAction> {
    return run(() => addRunAction(this.#open(), runId, action));
  }
  appendCommands(runId: string, commands: readonly RunCommand[]): Promise<AppendResult> {
    return run(() => appendCommands(this.#open(), runId, commands));
  }
  appendEncodedCommands(runId: string, encoded: EncodedCommands): Promise<AppendResult> {
    return run(() => appendEncodedCommands(this.#open(), runId, encoded));
  }
  getCommand(runId: string, commandId: string): Promise<StoredCommand> {
    return run(() => getCommand(this.#open(), runId, commandId));
  }
  listCommands(runId: string, options: ListCommandsOptions = {}): Promise<CommandPage> {
    return run(() => listCommands(this.#open(), runId, options));
  }
  finishRun(runId: string, summary: RunSummary): Promise<Run> {
    return run(() => finishRun(this.#open(), runId, summary));
  }
  deleteRun(id: string): Promise<void> {
    return run(() => deleteRun(this.#open(), id));
  }
  quarantineRun(record: QuarantineRecord): Promise<BadRun> {
    return run(() => quarantineRun(this.#open(), record));
  }
  getQuarantinedRun(id: string): Promise<QuarantinedRun> {
    return run(() => getQuarantinedRun(this.#open(), id));
  }
  changes(sinceSeq = 0, options: ChangesOptions = {}): Promise<readonly ChangeEntry[]> {
    return run(() => readChanges(this.#open().client, sinceSeq, options));
  }
  subscribe(listener: (change: ChangeEntry) => void): () => void {
    return this.#open().subscribe(listener);
  }
  close(): Promise<void> {
    return this.#context.close();
  }
}

/** Calls `fn`, turning a synchronous throw (a closed store, a refused argument) into a rejection. */
async function run<T>(fn: () => Promise<T>): Promise<T> {
  return await fn();
}
