/**
 * The robot's legacy v1 data layout, as every robot in the field has it: `v1/robot.db`, a SQLite file with one
 * row per run in table `run` (`id`, `created_at`, `blob`), where `blob` is the whole run (its command list and
 * its state summary) as one MessagePack document, the way robots used to store pickled dicts.
 *
 * MessagePack through `@msgpack/msgpack` rather than CBOR through `cbor-x`: it is pure TypeScript with no
 * dependencies and no optional native addon (cbor-x's speed path is the prebuilt `cbor-extract` binary, which
 * Deno does not load and whose builds the registry does not always serve), it runs unchanged on Node and Deno,
 * and its decoder is iterative, so a hostile, deeply nested blob cannot overflow the stack. Its decode speed is
 * not the bottleneck: decoding runs in worker threads while one writer fills the destination database.
 *
 * `decodeV1Run` never throws: a blob is either a run ready for the v2 store, or a reason to quarantine it.
 *
 * @module
 */
import { Decoder, encode } from "@msgpack/msgpack";
import type { NewRunAction, RunCommand, RunSummary } from "@deckhand/storage";

/** The v1 database file inside the `v1/` directory. */
export const V1_DATABASE = "robot.db";

/** The v1 schema (what the legacy software created). */
export const V1_SCHEMA_SQL = "CREATE TABLE IF NOT EXISTS run (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, blob BLOB NOT NULL)";

/** The format version v1 software wrote into every blob. */
export const V1_FORMAT_VERSION = 1;

/** A v1 run document as v1 software wrote it. */
export interface V1RunDocument {
  readonly formatVersion: number;
  readonly id: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly protocolId: string | null;
  readonly actions: readonly { readonly id: string; readonly actionType: string; readonly createdAt: string }[];
  readonly commands: readonly Record<string, unknown>[];
  /** The state summary, written when the run ended; missing when the run was interrupted mid-write. */
  readonly summary?: {
    readonly status: string;
    readonly errors: readonly unknown[];
    readonly completedAt: string;
    readonly [key: string]: unknown;
  };
}

/** Why a v1 row is quarantined instead of migrated. */
export type V1QuarantineReason =
  | "truncated"
  | "undecodable"
  | "wrong-type"
  | "future-version"
  | "commands-not-list"
  | "interrupted"
  | "invalid-command"
  | "not-json";

/** A v1 run ready for the v2 store. Times are ISO 8601. */
export interface V1Run {
  readonly kind: "run";
  readonly id: string;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly completedAt: string;
  readonly actions: readonly (NewRunAction & { readonly id: string; readonly createdAt: string })[];
  readonly commands: readonly RunCommand[];
  readonly summary: RunSummary;
}

/** A v1 row that cannot be migrated, and why. */
export interface V1Unreadable {
  readonly kind: "unreadable";
  readonly id: string;
  readonly reason: V1QuarantineReason;
  readonly message: string;
}

/** Encodes a v1 run document as v1 software did. */
export function encodeV1Run(document: unknown): Uint8Array {
  return encode(document);
}

/** One decoder per thread: its cache of map keys ("commandType", "params", ...) is what makes decoding fast. */
const decoder = new Decoder();

/** Nesting allowed inside a command or summary (the v2 JSON codecs refuse deeper records). */
const MAX_DEPTH = 256;
const ACTION_TYPES: ReadonlySet<string> = new Set(["play", "pause", "stop"]);
const FINAL_STATUSES: ReadonlySet<string> = new Set(["succeeded", "failed", "stopped"]);

/**
 * Decodes and checks one v1 row; never throws. `id` is the row's `id` column, which names the run.
 *
 * @example
 * ```ts
 * const decoded = decodeV1Run("run-1", blob);
 * if (decoded.kind === "unreadable") console.warn(decoded.reason, decoded.message);
 * ```
 */
export function decodeV1Run(id: string, blob: Uint8Array): V1Run | V1Unreadable {
  const bad = (reason: V1QuarantineReason, message: string): V1Unreadable => unreadable(id, reason, message);
  if (blob.byteLength === 0) return bad("truncated", "the blob is empty");
  let document: unknown;
  try {
    document = decoder.decode(blob);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // The decoder reports a cut-off document either way, depending on where the cut falls.
    return /insufficient data|outside the bounds/i.test(message)
      ? bad("truncated", `the blob ends before the document does (${blob.byteLength} bytes): ${message}`)
      : bad("undecodable", `the blob is not a MessagePack document: ${message}`);
  }
  return checkV1Document(id, document);
}

/**
 * The checks of {@link decodeV1Run} on a decoded document: a run ready for the v2 store, or why it is quarantined.
 * Never throws. (`v1_transcode.ts` calls it with the command list left empty, having checked the commands itself.)
 */
export function checkV1Document(id: string, document: unknown): V1Run | V1Unreadable {
  const bad = (reason: V1QuarantineReason, message: string): V1Unreadable => unreadable(id, reason, message);
  if (!isPlainObject(document)) return bad("wrong-type", `the document is a ${describe(document)}, not a map`);
  const { formatVersion, createdAt, protocolId, actions, commands, summary } = document;
  if (typeof formatVersion !== "number" || !Number.isInteger(formatVersion) || formatVersion < 1) {
    return bad("wrong-type", `formatVersion is ${describe(formatVersion)}, not a positive integer`);
  }
  if (formatVersion > V1_FORMAT_VERSION) {
    return bad("future-version", `written by a newer format (${formatVersion}) than v1 software knows (${V1_FORMAT_VERSION})`);
  }
  if (document.id !== id) return bad("wrong-type", `the document's id (${describe(document.id)}) is not the row's id`);
  if (!isTime(createdAt)) return bad("wrong-type", `createdAt is ${describe(createdAt)}, not an ISO 8601 time`);
  if (protocolId !== null && protocolId !== undefined && typeof protocolId !== "string") {
    return bad("wrong-type", `protocolId is ${describe(protocolId)}, not a string or null`);
  }
  if (!Array.isArray(actions)) return bad("wrong-type", `actions is ${describe(actions)}, not a list`);
  for (const action of actions) {
    if (!isPlainObject(action) || !nonEmpty(action.id) || !ACTION_TYPES.has(action.actionType as string) || !isTime(action.createdAt)) {
      return bad("wrong-type", "an action is not { id, actionType: play | pause | stop, createdAt }");
    }
  }
  if (!Array.isArray(commands)) return bad("commands-not-list", `commands is ${describe(commands)}, not a list`);
  if (summary === undefined || summary === null) {
    return bad("interrupted", "the run has no state summary: it was interrupted mid-write");
  }
  if (!isPlainObject(summary) || typeof summary.status !== "string" || !FINAL_STATUSES.has(summary.status)) {
    return bad("wrong-type", "the summary is not { status: succeeded | failed | stopped, errors, completedAt }");
  }
  if (!Array.isArray(summary.errors) || !isTime(summary.completedAt)) {
    return bad("wrong-type", "the summary's errors is not a list or its completedAt is not an ISO 8601 time");
  }
  const seen = new Set<string>();
  for (const [index, command] of commands.entries()) {
    if (!isPlainObject(command) || !nonEmpty(command.id) || !nonEmpty(command.commandType)) {
      return bad("invalid-command", `command ${index} is not an object with a non-empty id and commandType`);
    }
    if (seen.has(command.id)) return bad("invalid-command", `command ${index} repeats the id ${JSON.stringify(command.id)}`);
    seen.add(command.id);
  }
  const notJson = jsonProblem(commands) ?? jsonProblem(summary) ?? jsonProblem(actions);
  if (notJson) return bad("not-json", notJson);
  const firstPlay = (actions as { actionType: string; createdAt: string }[]).find((a) => a.actionType === "play");
  const startedAt = typeof summary.startedAt === "string" && isTime(summary.startedAt) ? summary.startedAt : firstPlay?.createdAt;
  return {
    kind: "run",
    id,
    createdAt: iso(createdAt),
    startedAt: startedAt === undefined ? null : iso(startedAt),
    completedAt: iso(summary.completedAt as string),
    actions: (actions as V1Run["actions"]).map((a) => ({ id: a.id, actionType: a.actionType, createdAt: iso(a.createdAt) })),
    commands: commands as RunCommand[],
    summary: (typeof protocolId === "string" ? { ...summary, legacyProtocolId: protocolId } : summary) as RunSummary,
  };
}

function unreadable(id: string, reason: V1QuarantineReason, message: string): V1Unreadable {
  return { kind: "unreadable", id, reason, message: `v1 run ${id}: ${message}` };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && wellFormed(value);
}

/** String.prototype.isWellFormed (Node 20, Deno 2), typed here because the project's lib is ES2023. */
function wellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

function isTime(value: unknown): value is string {
  return typeof value === "string" && value.length <= 64 && !Number.isNaN(Date.parse(value));
}

function iso(time: string): string {
  return new Date(Date.parse(time)).toISOString();
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  if (value instanceof Uint8Array) return "binary";
  if (typeof value === "object") return Object.getPrototypeOf(value) === Object.prototype ? "map" : `${value.constructor?.name ?? "object"}`;
  return typeof value === "string" ? `the string ${JSON.stringify(value.slice(0, 40))}` : `the ${typeof value} ${String(value)}`;
}

/**
 * Why `value` is not plain JSON the v2 codecs accept (binary, timestamps, non-finite numbers, lone surrogates,
 * nesting deeper than MAX_DEPTH), or undefined. Recursion stops at MAX_DEPTH, so hostile depth cannot overflow
 * the stack (and MessagePack's own decoder is iterative).
 */
function jsonProblem(value: unknown, depth = 0): string | undefined {
  switch (typeof value) {
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `a number is ${String(value)}, which JSON cannot hold`;
    case "string":
      return wellFormed(value) ? undefined : "a string holds a lone surrogate (invalid Unicode)";
    case "object": {
      if (value === null) return undefined;
      if (depth >= MAX_DEPTH) return `the data is nested deeper than ${MAX_DEPTH} levels`;
      if (Array.isArray(value)) {
        for (const item of value) {
          const problem = jsonProblem(item, depth + 1);
          if (problem !== undefined) return problem;
        }
        return undefined;
      }
      if (!isPlainObject(value)) return `a value is ${describe(value)}, which JSON cannot hold`;
      for (const key in value) {
        if (!wellFormed(key)) return "a key holds a lone surrogate (invalid Unicode)";
        const problem = jsonProblem(value[key], depth + 1);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    default:
      return `a value is ${describe(value)}, which JSON cannot hold`;
  }
}
