/**
 * The records the run store keeps, their `@deckhand/serialize` codecs, and the plain-data shapes its methods
 * return. Every read result carries `kind`: `"ok"` for a record that decoded, `"bad"` for one that did not
 * (it then carries `dataError` and every field that could be loaded).
 *
 * @module
 */
import { type Codec, defineCodec, type DecodeErrorCode } from "@deckhand/serialize";
import * as v from "valibot";

/** The file roles of a protocol and their content hashes (lowercase hex SHA-256). */
export interface ProtocolFile {
  /** The file name as uploaded. */
  readonly name: string;
  /** Its role in the protocol (`"main"`, `"labware"`, `"data"`). */
  readonly role: string;
  /** The SHA-256 of the file's bytes, lowercase hex. */
  readonly sha256: string;
}

/** What is stored about a protocol besides its id and creation time. */
export interface ProtocolDocument {
  /** The protocol's metadata (name, author, ...), any JSON object. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The protocol's files and their content hashes. */
  readonly files: readonly ProtocolFile[];
  /** The robot the protocol is for, when known. */
  readonly robotType?: string;
}

/** A protocol analysis document (Opentrons' completed analysis): any JSON object with `commands` and `errors`. */
export interface AnalysisDocument {
  readonly commands: readonly unknown[];
  readonly errors: readonly unknown[];
  readonly [key: string]: unknown;
}

/** One action on a run (play, pause, stop), as recorded in the run's document. */
export interface RunAction {
  readonly id: string;
  readonly actionType: string;
  /** ISO 8601 time the action was recorded. */
  readonly createdAt: string;
}

/** The run's document: the fields that are not queried and so live in codec JSON. */
export interface RunDocument {
  readonly actions: readonly RunAction[];
}

/** The statuses a run ends with; `finishRun` takes one of them in its summary. */
export type FinalRunStatus = "succeeded" | "failed" | "stopped";

/** The run's state summary, written once by `finishRun`: its final status and errors, plus any other JSON fields. */
export interface RunSummary {
  readonly status: FinalRunStatus;
  readonly errors: readonly unknown[];
  readonly [key: string]: unknown;
}

/** A command of a run (Opentrons' command shape): an id unique within the run, a type, and any other JSON fields. */
export interface RunCommand {
  readonly id: string;
  readonly commandType: string;
  readonly [key: string]: unknown;
}

/**
 * Why a stored record could not be read: a serialize decode code, `RUN_INTERRUPTED` for a run whose process
 * died before `finishRun` wrote its summary, or, for a record put aside by `quarantineRun`, the code it was
 * quarantined with (e.g. `MIGRATION_QUARANTINED`).
 */
export interface DataError {
  readonly code: DecodeErrorCode | "RUN_INTERRUPTED" | (string & {});
  readonly message: string;
}

/**
 * A record a migration could not convert into a run, to keep rather than drop (see `quarantineRun`).
 * `bytes` are kept exactly; `code` and `message` say why it was put aside; `createdAt` (ISO 8601) defaults to now.
 */
export interface QuarantineRecord {
  readonly id: string;
  readonly bytes: Uint8Array;
  readonly code: string;
  readonly message: string;
  readonly createdAt?: string;
}

/** A quarantined record as stored: its original bytes, the reason, and when it was put aside (ISO 8601). */
export interface QuarantinedRun {
  readonly id: string;
  readonly bytes: Uint8Array;
  readonly code: string;
  readonly message: string;
  readonly createdAt: string;
}

/** A protocol that decoded. */
export interface Protocol extends ProtocolDocument {
  readonly kind: "ok";
  readonly id: string;
  /** ISO 8601 creation time. */
  readonly createdAt: string;
}

/** A protocol whose stored document could not be decoded: its id, creation time and the reason. */
export interface BadProtocol {
  readonly kind: "bad";
  readonly id: string;
  readonly createdAt: string;
  readonly dataError: DataError;
}

/** The indexed fields of an analysis, as returned by `addAnalysis`. */
export interface AnalysisInfo {
  readonly id: string;
  readonly protocolId: string;
  /** ISO 8601 time the analysis was stored. */
  readonly createdAt: string;
}

/** An analysis whose document decoded. */
export interface Analysis extends AnalysisInfo {
  readonly kind: "ok";
  readonly document: AnalysisDocument;
}

/** An analysis whose stored document could not be decoded. */
export interface BadAnalysis extends AnalysisInfo {
  readonly kind: "bad";
  readonly dataError: DataError;
}

/** The fields of a run that live in real columns, always loadable. */
export interface RunColumns {
  readonly id: string;
  readonly protocolId: string | null;
  /** ISO 8601 times; `startedAt` is set by the first `play` action or command, `completedAt` by `finishRun`. */
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
  /** `idle`, `running`, `paused`, `stop-requested` while live; the summary's status once finished. */
  readonly status: string;
  /** How many commands the run has (their indexes are 0..commandCount-1). */
  readonly commandCount: number;
}

/** A run that decoded: `summary` is null until `finishRun`. */
export interface Run extends RunColumns {
  readonly kind: "ok";
  readonly actions: readonly RunAction[];
  readonly summary: RunSummary | null;
}

/**
 * A run that cannot be read whole: its document or summary does not decode (corrupt, from a future version),
 * or its process died before `finishRun` (`RUN_INTERRUPTED`). It carries every field that could be loaded and
 * can be deleted like any other run.
 */
export interface BadRun extends RunColumns {
  readonly kind: "bad";
  readonly dataError: DataError;
  /** The actions, when the run's document decoded. */
  readonly actions?: readonly RunAction[];
  /** The summary, when one was written and decoded. */
  readonly summary?: RunSummary;
  /** ISO 8601 time a store opened and found the run unfinished; null if it was not interrupted. */
  readonly interruptedAt: string | null;
  /**
   * Set on a record put aside by `quarantineRun` (its status is `"quarantined"`, it has no commands);
   * `getQuarantinedRun` returns its original bytes.
   */
  readonly quarantined?: true;
}

/** A stored command: decoded (`ok`), or `bad` with its id and the reason. */
export type StoredCommand =
  | { readonly kind: "ok"; readonly index: number; readonly command: RunCommand }
  | { readonly kind: "bad"; readonly index: number; readonly id: string; readonly dataError: DataError };

const nonEmpty = v.pipe(v.string(), v.minLength(1));

const protocolSchema = v.looseObject({
  metadata: v.record(v.string(), v.unknown()),
  files: v.array(
    v.looseObject({ name: nonEmpty, role: nonEmpty, sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)) }),
  ),
  robotType: v.optional(v.string()),
});

const analysisSchema = v.looseObject({ commands: v.array(v.unknown()), errors: v.array(v.unknown()) });

const runSchema = v.looseObject({
  actions: v.array(v.looseObject({ id: nonEmpty, actionType: nonEmpty, createdAt: v.string() })),
});

const summarySchema = v.looseObject({
  status: v.picklist(["succeeded", "failed", "stopped"]),
  errors: v.array(v.unknown()),
});

const commandSchema = v.looseObject({ id: nonEmpty, commandType: nonEmpty });

/** The codec of protocol documents. */
export const protocolCodec: Codec<ProtocolDocument> = defineCodec({ name: "protocol", version: 1, schema: protocolSchema });

/** The codec of analysis documents. */
export const analysisCodec: Codec<AnalysisDocument> = defineCodec({ name: "analysis", version: 1, schema: analysisSchema });

/** The codec of run documents (the run's actions). */
export const runCodec: Codec<RunDocument> = defineCodec({ name: "run", version: 1, schema: runSchema });

/** The codec of run summaries, written by `finishRun`. */
export const runSummaryCodec: Codec<RunSummary> = defineCodec({ name: "run-summary", version: 1, schema: summarySchema });

/** The codec of one command, used to decode command rows. */
export const commandCodec: Codec<RunCommand> = defineCodec({ name: "command", version: 1, schema: commandSchema });

/**
 * The codec of a chunk of an `appendCommands` batch: it validates the commands and writes them as one JSON
 * array, which the insert reads with `json_each`; each row stores its element under `commandCodec`'s version.
 * Its text limit is V8's largest string (the text is never decoded; each row is bounded by `commandCodec`).
 */
export const commandBatchCodec: Codec<readonly RunCommand[]> = defineCodec({
  name: "command-batch",
  version: commandCodec.version,
  schema: v.array(commandSchema),
  limits: { maxTextLength: 536_870_888 },
});
