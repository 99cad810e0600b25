/**
 * The store's input contract, enforced at its edge before anything reaches libSQL, and the matching read-side
 * guard. What is refused:
 * - a string that becomes an id or a column, or any string or key inside a record, that is not well-formed
 *   Unicode (a lone UTF-16 surrogate): `InvalidRecordError` (`STORE_INVALID_RECORD`) with the field's path.
 *   libSQL's native layer would otherwise alter it (to U+FFFD) or, for text extracted by SQL, store bytes that
 *   are not UTF-8 and abort the process on every later read;
 * - an id or column text containing NUL (libSQL reads such text back cut at the NUL), or an empty id;
 * - a value that is not plain JSON (non-finite numbers, `undefined` in arrays, class instances, functions),
 *   nesting deeper than 512, or a number that does not survive as a finite double (`1e400`);
 * - sizes past a limit, counted in UTF-8 bytes: `TooLargeError` (`STORE_TOO_LARGE`).
 * The per-record limit is also the codecs' read limit, so whatever the store accepts it reads back.
 *
 * @module
 */
import type { Codec, DecodeErrorCode } from "@deckhand/serialize";
import { InvalidValueError } from "@deckhand/serialize";
import { InvalidOptionsError, InvalidRecordError, TooLargeError } from "./errors.ts";
import type { DataError } from "./records.ts";
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";

/** The largest stored JSON text of one record (a command, protocol, analysis, run document or summary): 64 MiB of UTF-8. */
export const MAX_RECORD_BYTES: number = 64 * 1024 * 1024;
/** The largest id (protocol, analysis, run, command, action), and quarantine code, in UTF-8 bytes. */
export const MAX_ID_BYTES = 1024;
/**
 * The largest `appendCommands` batch (the sum of its commands' JSON texts) and quarantined blob, and the default:
 * 512 MiB (a million Opentrons-sized commands fit). Each insert statement stays far below SQLite's 1e9-byte limit.
 */
export const MAX_BATCH_BYTES: number = 512 * 1024 * 1024;
/** The deepest nesting of a record's arrays and objects (the codecs' read limit too). */
export const MAX_DEPTH = 512;
/** Byte limits of a store, set by `openRunStore`'s `limits` option. */
export interface StoreLimits {
  /** The largest record's JSON text, in UTF-8 bytes. Default and maximum `MAX_RECORD_BYTES` (64 MiB). */
  readonly maxRecordBytes?: number;
  /** The largest `appendCommands` batch and quarantined blob, in UTF-8 bytes. Default and maximum 512 MiB. */
  readonly maxBatchBytes?: number;
}

/** Limits after defaults and checks. */
export interface ResolvedLimits {
  readonly maxRecordBytes: number;
  readonly maxBatchBytes: number;
}

/** Applies defaults to `limits` and throws `InvalidOptionsError` for values outside their range. */
export function resolveLimits(limits: StoreLimits | undefined): ResolvedLimits {
  const maxRecordBytes = limits?.maxRecordBytes ?? MAX_RECORD_BYTES;
  const maxBatchBytes = limits?.maxBatchBytes ?? MAX_BATCH_BYTES;
  if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 1 || maxRecordBytes > MAX_RECORD_BYTES) {
    throw new InvalidOptionsError(`limits.maxRecordBytes must be an integer from 1 to ${MAX_RECORD_BYTES}, got ${String(maxRecordBytes)}`);
  }
  if (!Number.isInteger(maxBatchBytes) || maxBatchBytes < maxRecordBytes || maxBatchBytes > MAX_BATCH_BYTES) {
    throw new InvalidOptionsError(
      `limits.maxBatchBytes must be an integer from maxRecordBytes (${maxRecordBytes}) to ${MAX_BATCH_BYTES}, got ${String(maxBatchBytes)}`,
    );
  }
  return { maxRecordBytes, maxBatchBytes };
}

/** Throws `InvalidOptionsError` unless `value` is a positive integer; `undefined` gives `fallback`. */
export function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidOptionsError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** `String.prototype.isWellFormed` where the runtime has it: false when `text` holds a lone surrogate. */
export const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === "function"
    ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (text) => !/\p{Cs}/u.test(text);

/** The exact UTF-8 length of `text`, counted natively without encoding it (a lone surrogate counts as U+FFFD's 3 bytes). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** True when `text` is longer than `limit` UTF-8 bytes; cheap unless the answer is close. */
export function exceedsBytes(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8Length(text) > limit;
}

/**
 * Checks a string that becomes an id or a column: a string, well-formed, without NUL, at most `maxBytes` UTF-8
 * bytes, and non-empty unless `allowEmpty`. Returns it.
 */
export function checkColumnText(value: unknown, path: string, maxBytes: number, allowEmpty = false): string {
  if (typeof value !== "string") throw new InvalidRecordError(`${path} must be a string, got ${describeType(value)}`);
  if (!allowEmpty && value.length === 0) throw new InvalidRecordError(`${path} must be a non-empty string`);
  if (!isWellFormed(value)) {
    throw new InvalidRecordError(`${path} is not well-formed Unicode (it contains a lone surrogate); nothing was written`);
  }
  if (value.includes("\0")) throw new InvalidRecordError(`${path} contains NUL, which the store cannot keep in an id or column`);
  if (exceedsBytes(value, maxBytes)) {
    throw new TooLargeError(`${path} is ${utf8Length(value)} UTF-8 bytes, over the limit of ${maxBytes}`);
  }
  return value;
}

/** Checks an id (`checkColumnText` with the id limit). */
export function checkId(value: unknown, path: string): string {
  return checkColumnText(value, path, MAX_ID_BYTES);
}

/** A caller's id after `checkId`, or a random UUID when none is given. */
export function newId(value: unknown, path: string): string {
  return value === undefined ? randomUUID() : checkId(value, path);
}

/**
 * Encodes a record through its codec and applies the contract to the text: well-formed Unicode everywhere
 * (`path` prefixes the field path in messages) and at most `maxBytes` UTF-8 bytes.
 */
export function encodeRecord<T>(codec: Codec<T>, value: T, path: string, maxBytes: number): { text: string; version: number } {
  let encoded: { text: string; version: number };
  try {
    encoded = codec.encode(value);
  } catch (error) {
    if (error instanceof InvalidValueError) {
      const issue = error.issues[0];
      const where = issue ? joinPath(path, issue.path) : path;
      throw new InvalidRecordError(`invalid ${codec.name} record at ${where}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  checkEncodedText(encoded.text, value, path, maxBytes);
  return encoded;
}

/**
 * Checks JSON text this process produced with `JSON.stringify(value)`: `JSON.stringify` writes a lone surrogate
 * as a `\udXXX` escape, so the (rare) texts containing `\ud` are walked to find the lone surrogate, if any.
 */
export function checkEncodedText(text: string, value: unknown, path: string, maxBytes: number): void {
  if (text.includes("\\ud")) {
    const where = findLoneSurrogate(value);
    if (where) throw new InvalidRecordError(`${joinPath(path, where)} is not well-formed Unicode (it contains a lone surrogate); nothing was written`);
  }
  if (exceedsBytes(text, maxBytes)) {
    throw new TooLargeError(`${path} is ${utf8Length(text)} UTF-8 bytes of JSON, over the per-record limit of ${maxBytes}`);
  }
}

/**
 * Checks JSON text a caller gave to be stored as is (an analysis document), after its codec decoded it to
 * `value`: the text well-formed, no lone surrogate behind an escape, numbers finite, at most `maxBytes`.
 */
export function checkGivenText(text: string, value: unknown, path: string, maxBytes: number): void {
  if (!isWellFormed(text)) {
    throw new InvalidRecordError(`${path} is not well-formed Unicode (it contains a lone surrogate); nothing was written`);
  }
  if (exceedsBytes(text, maxBytes)) {
    throw new TooLargeError(`${path} is ${utf8Length(text)} UTF-8 bytes, over the per-record limit of ${maxBytes}`);
  }
  if (text.includes("\\ud")) {
    const where = findLoneSurrogate(value);
    if (where) throw new InvalidRecordError(`${joinPath(path, where)} is not well-formed Unicode (an escaped lone surrogate); nothing was written`);
  }
  const infinite = mayOverflow(text) ? findNonFinite(value) : undefined;
  if (infinite) throw new InvalidRecordError(`${joinPath(path, infinite)} is a number beyond double range; nothing was written`);
}

/** The path of the first string or key holding a lone surrogate in a JSON value, or undefined. */
export function findLoneSurrogate(value: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path: "" }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === "string") {
      if (!isWellFormed(current)) return path;
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: `${path}[${i}]` });
    } else if (typeof current === "object" && current !== null) {
      for (const key of Object.keys(current)) {
        if (!isWellFormed(key)) return `${path}.${key.replace(/\p{Cs}/gu, "\ufffd")} (the key)`;
        stack.push({ value: (current as Record<string, unknown>)[key], path: `${path}.${key}` });
      }
    }
  }
  return undefined;
}

/** The path of the first number in a parsed JSON value that is not finite (`1e400` parses as Infinity), or undefined. */
export function findNonFinite(value: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path: "" }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === "number") {
      if (!Number.isFinite(current)) return path;
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: `${path}[${i}]` });
    } else if (typeof current === "object" && current !== null) {
      for (const key of Object.keys(current)) stack.push({ value: (current as Record<string, unknown>)[key], path: `${path}.${key}` });
    }
  }
  return undefined;
}

/**
 * True when JSON text may hold a number beyond double range (a cheap scan, so the walk runs only for such rare
 * texts). A JSON number (after `:`, `,` or `[`) overflows only if its integer digits plus its exponent reach
 * 308: so only a number with an exponent of three or more digits, or with 200 or more integer digits (200 + a
 * two-digit exponent can reach 308), is suspect. Digits inside strings (ids, UUIDs like "3e215") are not.
 */
export function mayOverflow(text: string): boolean {
  return /[:,[]\s*-?(?:\d{200}|\d+(?:\.\d+)?[eE]\+?\d{3})/.test(text);
}

/** What reading a stored record gives: its value, or why it cannot be read. */
export type StoredValue<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly dataError: DataError };

/**
 * Decodes stored text through its codec, and refuses what the codec would let through as a value the store
 * never accepts: a number beyond double range (never decoded to `Infinity`).
 */
export function decodeStored<T>(codec: Codec<T>, text: string, version: number): StoredValue<T> {
  const decoded = codec.decode(text, version);
  if (!decoded.ok) return { ok: false, dataError: { code: decoded.error.code, message: decoded.error.message } };
  if (mayOverflow(text)) {
    const where = findNonFinite(decoded.value);
    if (where !== undefined) {
      const code: DecodeErrorCode = "INVALID_STORED_DATA";
      return { ok: false, dataError: { code, message: `${codec.name}: stored number at ${where || "(root)"} is beyond double range` } };
    }
  }
  return { ok: true, value: decoded.value };
}

export function joinPath(prefix: string, path: readonly PropertyKey[] | string): string {
  if (typeof path === "string") return prefix + path;
  return prefix + path.map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${String(segment)}`)).join("");
}

export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    const proto: unknown = Object.getPrototypeOf(value);
    return (proto as { constructor?: { name?: string } } | null)?.constructor?.name ?? "object";
  }
  return typeof value;
}
