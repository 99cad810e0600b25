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
 *
 * @module
 */
import console from "node:console";
import { randomUUID } from "node:crypto";
import { type Client, createClient, type InStatement, type Row, type Transaction } from "@libsql/client";
import { InvalidValueError, type Codec, type DecodeResult } from "@deckhand/serialize";
import { applyMigrations } from "./apply_migrations.ts";
import {
  AlreadyExistsError,
  AnalysisNotFoundError,
  CommandNotFoundError,
  DuplicateCommandError,
  InvalidOptionsError,
  InvalidRecordError,
  ProtocolNotFoundError,
  RunAlreadyFinishedError,
  RunNotFoundError,
  StorageError,
  StoreClosedError,
} from "./errors.ts";
import { MIGRATIONS } from "./migrations.ts";
import {
  type Analysis,
  analysisCodec,
  type AnalysisDocument,
  type AnalysisInfo,
  type BadAnalysis,
  type BadProtocol,
  type BadRun,
  commandBatchCodec,
  commandCodec,
  type DataError,
  type Protocol,
  protocolCodec,
  type ProtocolDocument,
  type QuarantinedRun,
  type QuarantineRecord,
  type Run,
  type RunAction,
  runCodec,
  type RunCommand,
  type RunDocument,
  type RunSummary,
  runSummaryCodec,
  type StoredCommand,
} from "./records.ts";
import { WriterQueue } from "./writer_queue.ts";

/**
 * What a committed write promises on a `file:` database. `"process"`: WAL with synchronous=NORMAL, survives a
 * killed process (a power cut may roll back the last writes, never corrupt). `"power"`: WAL with
 * synchronous=FULL, also survives a power cut. On a remote libSQL URL the server decides.
 */
export type Durability = "process" | "power";

/** A source of the current time in milliseconds since the Unix epoch; tests pass a fake one. */
export interface Clock {
  now(): number;
}

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
}

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

/** A protocol to create; `id` defaults to a random UUID and `createdAt` (ISO 8601) to now. */
export interface NewProtocol extends ProtocolDocument {
  readonly id?: string;
  readonly createdAt?: string;
}

/**
 * An analysis to add. `document` as a string is validated and stored byte for byte (so `getAnalysisDocument`
 * returns exactly it); as an object it is stored as its JSON.
 */
export interface NewAnalysis {
  readonly id?: string;
  readonly protocolId: string;
  readonly createdAt?: string;
  readonly document: string | AnalysisDocument;
}

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

/** Options of `changes`. */
export interface ChangesOptions {
  /** How many entries at most. Default 1000. */
  readonly limit?: number;
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

/** Commands per insert statement of an `appendCommands` batch (the batch stays one transaction). */
const APPEND_CHUNK = 20_000;
const DURABILITY_PRAGMA: Readonly<Record<Durability, string>> = { process: "NORMAL", power: "FULL" };
const RUN_COLUMNS =
  "id, protocol_id, created_at, started_at, completed_at, interrupted_at, status, command_count, version, doc, summary_version, summary, NULL AS q_code, NULL AS q_message";
/** Quarantined records read as rows of the same shape as runs (`q_code` set), so one query lists both. */
const QUARANTINE_COLUMNS =
  "id, NULL AS protocol_id, created_at, NULL AS started_at, NULL AS completed_at, NULL AS interrupted_at, 'quarantined' AS status, 0 AS command_count, NULL AS version, NULL AS doc, NULL AS summary_version, NULL AS summary, code AS q_code, message AS q_message";
const QUARANTINE_STATUS = "quarantined";

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
  if (durability !== "process" && durability !== "power") {
    throw new InvalidOptionsError(`durability must be "process" or "power", got ${JSON.stringify(durability)}`);
  }
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new InvalidOptionsError(`busyTimeoutMs must be a non-negative integer, got ${String(busyTimeoutMs)}`);
  }
  const isFile = url.startsWith("file:") || url === ":memory:";
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
    if (isFile) {
      await client.execute("PRAGMA journal_mode=WAL");
      await client.execute(`PRAGMA synchronous=${DURABILITY_PRAGMA[durability]}`);
      await client.execute(`PRAGMA busy_timeout=${busyTimeoutMs}`);
      await client.execute("PRAGMA foreign_keys=ON");
    }
    await applyMigrations(client, MIGRATIONS);
    const store = new LibsqlRunStore(client, options.clock ?? Date, options.onListenerError ?? defaultListenerError);
    await store.markInterruptedRuns();
    return store;
  } catch (error) {
    client.close();
    throw error;
  }
}

function defaultListenerError(error: unknown, change: ChangeEntry): void {
  console.error(`@deckhand/storage: a change listener threw on change ${change.seq}`, error);
}

interface PendingChange {
  readonly entity: ChangeEntity;
  readonly id: string;
  readonly kind: ChangeKind;
}

interface WriteOutcome<T> {
  readonly result: T;
  readonly changes: readonly PendingChange[];
}

class LibsqlRunStore implements RunStore {
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #onListenerError: (error: unknown, change: ChangeEntry) => void;
  readonly #queue = new WriterQueue();
  readonly #listeners = new Set<(change: ChangeEntry) => void>();
  #closed = false;

  constructor(client: Client, clock: Clock, onListenerError: (error: unknown, change: ChangeEntry) => void) {
    this.#client = client;
    this.#clock = clock;
    this.#onListenerError = onListenerError;
  }

  async markInterruptedRuns(): Promise<void> {
    await this.#write(async (tx, now) => {
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

  // ---- protocols ----

  async createProtocol(protocol: NewProtocol): Promise<Protocol> {
    this.#checkOpen();
    const id = newId(protocol?.id, "protocol");
    const createdAt = parseTime(protocol.createdAt, "createdAt", this.#clock);
    const document: ProtocolDocument = {
      metadata: protocol.metadata,
      files: protocol.files,
      ...(protocol.robotType === undefined ? {} : { robotType: protocol.robotType }),
    };
    const encoded = encode(protocolCodec, document);
    await this.#write(async (tx) => {
      await insertOrExists(
        tx,
        { sql: "INSERT INTO protocols (id, created_at, version, doc) VALUES (?, ?, ?, ?)", args: [id, createdAt, encoded.version, encoded.text] },
        `a protocol with id ${id} already exists`,
      );
      return { result: undefined, changes: [{ entity: "protocol", id, kind: "created" }] };
    });
    return { kind: "ok", id, createdAt: iso(createdAt), ...document };
  }

  async getProtocol(id: string): Promise<Protocol | BadProtocol> {
    this.#checkOpen();
    const result = await this.#client.execute({ sql: "SELECT id, created_at, version, doc FROM protocols WHERE id = ?", args: [id] });
    const row = result.rows[0];
    if (!row) throw new ProtocolNotFoundError(`no protocol with id ${id}`);
    return protocolFromRow(row);
  }

  async listProtocols(): Promise<readonly (Protocol | BadProtocol)[]> {
    this.#checkOpen();
    const result = await this.#client.execute("SELECT id, created_at, version, doc FROM protocols ORDER BY created_at, id");
    return result.rows.map(protocolFromRow);
  }

  // ---- analyses ----

  async addAnalysis(analysis: NewAnalysis): Promise<AnalysisInfo> {
    this.#checkOpen();
    const id = newId(analysis?.id, "analysis");
    const createdAt = parseTime(analysis.createdAt, "createdAt", this.#clock);
    let text: string;
    if (typeof analysis.document === "string") {
      const decoded = analysisCodec.decode(analysis.document, analysisCodec.version);
      if (!decoded.ok) throw new InvalidRecordError(`the analysis document is invalid: ${decoded.error.message}`);
      text = analysis.document;
    } else {
      text = encode(analysisCodec, analysis.document).text;
    }
    const protocolId = analysis.protocolId;
    await this.#write(async (tx) => {
      await requireProtocol(tx, protocolId);
      await insertOrExists(
        tx,
        {
          sql: "INSERT INTO analyses (id, protocol_id, created_at, version, doc) VALUES (?, ?, ?, ?, ?)",
          args: [id, protocolId, createdAt, analysisCodec.version, text],
        },
        `an analysis with id ${id} already exists`,
      );
      return { result: undefined, changes: [{ entity: "analysis", id, kind: "created" }] };
    });
    return { id, protocolId, createdAt: iso(createdAt) };
  }

  async listAnalyses(protocolId: string): Promise<readonly (Analysis | BadAnalysis)[]> {
    this.#checkOpen();
    await requireProtocol(this.#client, protocolId);
    const result = await this.#client.execute({
      sql: "SELECT id, protocol_id, created_at, version, doc FROM analyses WHERE protocol_id = ? ORDER BY created_at, id",
      args: [protocolId],
    });
    return result.rows.map(analysisFromRow);
  }

  async getAnalysis(id: string): Promise<Analysis | BadAnalysis> {
    this.#checkOpen();
    const result = await this.#client.execute({
      sql: "SELECT id, protocol_id, created_at, version, doc FROM analyses WHERE id = ?",
      args: [id],
    });
    const row = result.rows[0];
    if (!row) throw new AnalysisNotFoundError(`no analysis with id ${id}`);
    return analysisFromRow(row);
  }

  async getAnalysisDocument(id: string): Promise<string> {
    this.#checkOpen();
    const result = await this.#client.execute({ sql: "SELECT doc FROM analyses WHERE id = ?", args: [id] });
    const row = result.rows[0];
    if (!row) throw new AnalysisNotFoundError(`no analysis with id ${id}`);
    return String(row[0]);
  }

  // ---- runs ----

  async createRun(run: NewRun = {}): Promise<Run> {
    this.#checkOpen();
    const id = newId(run.id, "run");
    const createdAt = parseTime(run.createdAt, "createdAt", this.#clock);
    const protocolId = run.protocolId ?? null;
    const document: RunDocument = { actions: [] };
    const encoded = encode(runCodec, document);
    await this.#write(async (tx) => {
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

  async getRun(id: string): Promise<Run | BadRun> {
    this.#checkOpen();
    const result = await this.#client.execute({
      sql: `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ? UNION ALL SELECT ${QUARANTINE_COLUMNS} FROM quarantine WHERE id = ?`,
      args: [id, id],
    });
    const row = result.rows[0];
    if (!row) throw new RunNotFoundError(`no run with id ${id}`);
    return runFromRow(row);
  }

  async listRuns(options: ListRunsOptions = {}): Promise<readonly (Run | BadRun)[]> {
    this.#checkOpen();
    const limit = positiveInteger(options.limit, 100, "limit");
    let result;
    if (options.before === undefined) {
      result = await this.#client.execute({
        sql:
          `SELECT * FROM (SELECT ${RUN_COLUMNS} FROM runs ORDER BY created_at DESC, id DESC LIMIT ?) UNION ALL ` +
          `SELECT * FROM (SELECT ${QUARANTINE_COLUMNS} FROM quarantine ORDER BY created_at DESC, id DESC LIMIT ?) ` +
          "ORDER BY created_at DESC, id DESC LIMIT ?",
        args: [limit, limit, limit],
      });
    } else {
      const anchor = await this.#client.execute({
        sql: "SELECT created_at FROM runs WHERE id = ? UNION ALL SELECT created_at FROM quarantine WHERE id = ?",
        args: [options.before, options.before],
      });
      const anchorRow = anchor.rows[0];
      if (!anchorRow) throw new RunNotFoundError(`listRuns: no run with id ${options.before} to list before`);
      const at = anchorRow[0]!;
      result = await this.#client.execute({
        sql:
          `SELECT * FROM (SELECT ${RUN_COLUMNS} FROM runs WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?) UNION ALL ` +
          `SELECT * FROM (SELECT ${QUARANTINE_COLUMNS} FROM quarantine WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?) ` +
          "ORDER BY created_at DESC, id DESC LIMIT ?",
        args: [at, options.before, limit, at, options.before, limit, limit],
      });
    }
    return result.rows.map(runFromRow);
  }

  async addRunAction(runId: string, action: NewRunAction): Promise<RunAction> {
    this.#checkOpen();
    const status = { play: "running", pause: "paused", stop: "stop-requested" }[action?.actionType];
    if (status === undefined) {
      throw new InvalidRecordError(`actionType must be "play", "pause" or "stop", got ${JSON.stringify(action?.actionType)}`);
    }
    const createdAtMs = parseTime(action.createdAt, "createdAt", this.#clock);
    const recorded: RunAction = { id: newId(action.id, "action"), actionType: action.actionType, createdAt: iso(createdAtMs) };
    return await this.#write(async (tx) => {
      const row = await liveRun(tx, runId);
      const decoded = runCodec.decode(String(row.doc), Number(row.version));
      if (!decoded.ok) {
        throw new InvalidRecordError(`run ${runId}: its stored document cannot be decoded (${decoded.error.message})`);
      }
      const encoded = encode(runCodec, { ...decoded.value, actions: [...decoded.value.actions, recorded] });
      await tx.execute({
        sql:
          "UPDATE runs SET version = ?, doc = ?, status = ?, started_at = CASE WHEN ? = 'play' THEN coalesce(started_at, ?) ELSE started_at END WHERE id = ?",
        args: [encoded.version, encoded.text, status, action.actionType, createdAtMs, runId],
      });
      return { result: recorded, changes: [{ entity: "run", id: runId, kind: "action" }] };
    });
  }

  async appendCommands(runId: string, commands: readonly RunCommand[]): Promise<AppendResult> {
    this.#checkOpen();
    if (!Array.isArray(commands)) throw new InvalidRecordError("appendCommands takes an array of commands");
    // Validated and stringified before the writer queue, in chunks that bound the size of one statement.
    const chunks: string[] = [];
    for (let start = 0; start < commands.length; start += APPEND_CHUNK) {
      chunks.push(encode(commandBatchCodec, commands.slice(start, start + APPEND_CHUNK)).text);
    }
    return await this.#write(async (tx, now) => {
      const row = await liveRun(tx, runId);
      const firstIndex = Number(row.command_count);
      if (commands.length === 0) return { result: { firstIndex, totalLength: firstIndex }, changes: [] };
      try {
        // Set-based: one statement per chunk over its JSON array (json_each yields each element and its index),
        // all in this one transaction.
        for (const [i, text] of chunks.entries()) {
          await tx.execute({
            sql:
              "INSERT INTO commands (run_id, idx, command_id, version, doc) SELECT ?, ? + key, value ->> 'id', ?, value FROM json_each(?)",
            args: [runId, firstIndex + i * APPEND_CHUNK, commandCodec.version, text],
          });
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
      const totalLength = firstIndex + commands.length;
      await tx.execute({
        sql:
          "UPDATE runs SET command_count = ?, started_at = coalesce(started_at, ?), status = CASE WHEN status = 'idle' THEN 'running' ELSE status END WHERE id = ?",
        args: [totalLength, now, runId],
      });
      return { result: { firstIndex, totalLength }, changes: [{ entity: "run", id: runId, kind: "commands" }] };
    });
  }

  async getCommand(runId: string, commandId: string): Promise<StoredCommand> {
    this.#checkOpen();
    const result = await this.#client.execute({
      sql: "SELECT idx, command_id, version, doc FROM commands WHERE run_id = ? AND command_id = ?",
      args: [runId, commandId],
    });
    const row = result.rows[0];
    if (row) return commandFromRow(row);
    await requireRun(this.#client, runId);
    throw new CommandNotFoundError(`run ${runId} has no command with id ${commandId}`);
  }

  async listCommands(runId: string, options: ListCommandsOptions = {}): Promise<CommandPage> {
    this.#checkOpen();
    const pageLength = positiveInteger(options.pageLength, 20, "pageLength");
    if (options.cursor !== undefined && (!Number.isInteger(options.cursor) || options.cursor < 0)) {
      throw new InvalidOptionsError(`cursor must be a non-negative integer, got ${String(options.cursor)}`);
    }
    // Two reads without a transaction are consistent here: rows below command_count were committed with it and
    // never change (only deleteRun removes them), and the page is capped at the count read first.
    const run = await this.#client.execute({ sql: "SELECT command_count FROM runs WHERE id = ?", args: [runId] });
    const runRow = run.rows[0];
    if (!runRow) {
      // A quarantined record is listed as a run with no commands.
      if (await isQuarantined(this.#client, runId)) return { commands: [], cursor: options.cursor ?? 0, totalLength: 0 };
      throw new RunNotFoundError(`no run with id ${runId}`);
    }
    const totalLength = Number(runRow[0]);
    const cursor = options.cursor ?? Math.max(0, totalLength - pageLength);
    const end = Math.min(cursor + pageLength, totalLength);
    if (cursor >= end) return { commands: [], cursor, totalLength };
    const result = await this.#client.execute({
      sql: "SELECT idx, command_id, version, doc FROM commands WHERE run_id = ? AND idx >= ? AND idx < ? ORDER BY idx",
      args: [runId, cursor, end],
    });
    return { commands: result.rows.map(commandFromRow), cursor, totalLength };
  }

  async finishRun(runId: string, summary: RunSummary): Promise<Run> {
    this.#checkOpen();
    const encoded = encode(runSummaryCodec, summary);
    await this.#write(async (tx, now) => {
      await liveRun(tx, runId);
      await tx.execute({
        sql: "UPDATE runs SET summary = ?, summary_version = ?, status = ?, completed_at = ? WHERE id = ?",
        args: [encoded.text, encoded.version, summary.status, now, runId],
      });
      return { result: undefined, changes: [{ entity: "run", id: runId, kind: "finished" }] };
    });
    const run = await this.getRun(runId);
    if (run.kind === "bad") {
      throw new StorageError(`run ${runId} was finished but reads back as a bad run: ${run.dataError.message}`);
    }
    return run;
  }

  async deleteRun(id: string): Promise<void> {
    this.#checkOpen();
    await this.#write(async (tx) => {
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

  async quarantineRun(record: QuarantineRecord): Promise<BadRun> {
    this.#checkOpen();
    if (typeof record !== "object" || record === null) throw new InvalidRecordError("quarantineRun takes a record { id, bytes, code, message }");
    const id = newId(record.id, "quarantined run");
    if (!(record.bytes instanceof Uint8Array)) throw new InvalidRecordError("quarantineRun: bytes must be a Uint8Array");
    if (typeof record.code !== "string" || record.code.length === 0) {
      throw new InvalidRecordError("quarantineRun: code must be a non-empty string, e.g. MIGRATION_QUARANTINED");
    }
    if (typeof record.message !== "string") throw new InvalidRecordError("quarantineRun: message must be a string");
    const createdAt = parseTime(record.createdAt, "createdAt", this.#clock);
    // A copy: the caller may reuse its buffer, and a view of a larger buffer must store only its own bytes.
    const bytes = record.bytes.slice();
    await this.#write(async (tx) => {
      const taken = await tx.execute({ sql: "SELECT 1 FROM runs WHERE id = ?", args: [id] });
      if (taken.rows.length > 0) throw new AlreadyExistsError(`a run with id ${id} already exists`);
      await insertOrExists(
        tx,
        { sql: "INSERT INTO quarantine (id, created_at, code, message, bytes) VALUES (?, ?, ?, ?, ?)", args: [id, createdAt, record.code, record.message, bytes] },
        `a quarantined record with id ${id} already exists`,
      );
      return { result: undefined, changes: [{ entity: "run", id, kind: "created" }] };
    });
    return quarantinedBadRun(id, createdAt, record.code, record.message);
  }

  async getQuarantinedRun(id: string): Promise<QuarantinedRun> {
    this.#checkOpen();
    const result = await this.#client.execute({ sql: "SELECT id, created_at, code, message, bytes FROM quarantine WHERE id = ?", args: [id] });
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

  // ---- change feed ----

  async changes(sinceSeq = 0, options: ChangesOptions = {}): Promise<readonly ChangeEntry[]> {
    this.#checkOpen();
    if (!Number.isInteger(sinceSeq) || sinceSeq < 0) {
      throw new InvalidOptionsError(`sinceSeq must be a non-negative integer, got ${String(sinceSeq)}`);
    }
    const limit = positiveInteger(options.limit, 1000, "limit");
    const result = await this.#client.execute({
      sql: "SELECT seq, entity, id, kind, at FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
      args: [sinceSeq, limit],
    });
    return result.rows.map(changeFromRow);
  }

  subscribe(listener: (change: ChangeEntry) => void): () => void {
    this.#checkOpen();
    // Wrapped, so subscribing the same function twice gives two independent subscriptions.
    const entry = (change: ChangeEntry): void => listener(change);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.drain();
    this.#listeners.clear();
    this.#client.close();
  }

  // ---- internals ----

  #checkOpen(): void {
    if (this.#closed) throw new StoreClosedError("the run store is closed; open it again with openRunStore");
  }

  /**
   * Runs `job` in one write transaction through the writer queue, records its changes in the same transaction,
   * commits, then notifies listeners. Resolves only after the commit.
   */
  #write<T>(job: (tx: Transaction, now: number) => Promise<WriteOutcome<T>>): Promise<T> {
    return this.#queue.run(async () => {
      const tx = await this.#client.transaction("write");
      let committed: readonly ChangeEntry[];
      let result: T;
      try {
        const now = this.#clock.now();
        const outcome = await job(tx, now);
        result = outcome.result;
        committed = outcome.changes.length === 0 ? [] : await recordChanges(tx, outcome.changes, now);
        await tx.commit();
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
      this.#notify(committed);
      return result;
    });
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

async function recordChanges(tx: Transaction, changes: readonly PendingChange[], now: number): Promise<ChangeEntry[]> {
  const result = await tx.execute({
    sql:
      "INSERT INTO changes (entity, id, kind, at) SELECT value ->> 'entity', value ->> 'id', value ->> 'kind', ? FROM json_each(?) ORDER BY key RETURNING seq, entity, id, kind, at",
    args: [now, JSON.stringify(changes)],
  });
  return result.rows.map(changeFromRow).sort((a, b) => a.seq - b.seq);
}

type Executor = Pick<Client, "execute"> | Pick<Transaction, "execute">;

async function requireProtocol(executor: Executor, protocolId: string): Promise<void> {
  const result = await executor.execute({ sql: "SELECT 1 FROM protocols WHERE id = ?", args: [protocolId] });
  if (result.rows.length === 0) throw new ProtocolNotFoundError(`no protocol with id ${protocolId}`);
}

async function requireRun(executor: Executor, runId: string): Promise<void> {
  const result = await executor.execute({ sql: "SELECT 1 FROM runs WHERE id = ?", args: [runId] });
  if (result.rows.length === 0) throw new RunNotFoundError(`no run with id ${runId}`);
}

/** Reads a run that can still change: it exists, is not finished, and was not interrupted. */
async function liveRun(tx: Transaction, runId: string): Promise<Row> {
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

async function insertOrExists(tx: Transaction, statement: InStatement, message: string): Promise<void> {
  try {
    await tx.execute(statement);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AlreadyExistsError(message, { cause: error });
    throw error;
  }
}

function isUniqueViolation(error: unknown, table?: string): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    const constraint =
      (typeof code === "string" && (code.startsWith("SQLITE_CONSTRAINT_UNIQUE") || code.startsWith("SQLITE_CONSTRAINT_PRIMARYKEY"))) ||
      current.message.includes("UNIQUE constraint failed");
    if (constraint && (table === undefined || current.message.includes(`${table}.`))) return true;
  }
  return false;
}

function encode<T>(codec: Codec<T>, value: T): { text: string; version: number } {
  try {
    return codec.encode(value);
  } catch (error) {
    if (error instanceof InvalidValueError) {
      throw new InvalidRecordError(`invalid ${codec.name} record: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function dataErrorOf<T>(result: DecodeResult<T>): DataError | undefined {
  return result.ok ? undefined : { code: result.error.code, message: result.error.message };
}

function protocolFromRow(row: Row): Protocol | BadProtocol {
  const id = String(row.id);
  const createdAt = iso(Number(row.created_at));
  const decoded = protocolCodec.decode(String(row.doc), Number(row.version));
  if (!decoded.ok) return { kind: "bad", id, createdAt, dataError: dataErrorOf(decoded)! };
  return { kind: "ok", id, createdAt, ...decoded.value };
}

function analysisFromRow(row: Row): Analysis | BadAnalysis {
  const info = { id: String(row.id), protocolId: String(row.protocol_id), createdAt: iso(Number(row.created_at)) };
  const decoded = analysisCodec.decode(String(row.doc), Number(row.version));
  if (!decoded.ok) return { kind: "bad", ...info, dataError: dataErrorOf(decoded)! };
  return { kind: "ok", ...info, document: decoded.value };
}

function quarantinedBadRun(id: string, createdAtMs: number, code: string, message: string): BadRun {
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

async function isQuarantined(executor: Executor, id: string): Promise<boolean> {
  const result = await executor.execute({ sql: "SELECT 1 FROM quarantine WHERE id = ?", args: [id] });
  return result.rows.length > 0;
}

async function refuseQuarantinedId(tx: Transaction, id: string): Promise<void> {
  if (await isQuarantined(tx, id)) throw new AlreadyExistsError(`a quarantined record has the id ${id}; delete it first`);
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
  const document = runCodec.decode(String(row.doc), Number(row.version));
  const summary =
    row.summary === null ? undefined : runSummaryCodec.decode(String(row.summary), Number(row.summary_version));
  const interruptedAt = optionalIso(row.interrupted_at);
  const dataError =
    dataErrorOf(document) ??
    (summary && dataErrorOf(summary)) ??
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

function commandFromRow(row: Row): StoredCommand {
  const index = Number(row.idx);
  const decoded = commandCodec.decode(String(row.doc), Number(row.version));
  if (!decoded.ok) return { kind: "bad", index, id: String(row.command_id), dataError: dataErrorOf(decoded)! };
  return { kind: "ok", index, command: decoded.value };
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

function newId(id: string | undefined, what: string): string {
  if (id === undefined) return randomUUID();
  if (typeof id !== "string" || id.length === 0) throw new InvalidRecordError(`a ${what} id must be a non-empty string`);
  return id;
}

function parseTime(value: string | undefined, field: string, clock: Clock): number {
  if (value === undefined) return clock.now();
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new InvalidRecordError(`${field} must be an ISO 8601 time, got ${JSON.stringify(value)}`);
  return ms;
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidOptionsError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function optionalIso(value: unknown): string | null {
  return value === null || value === undefined ? null : iso(Number(value));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
