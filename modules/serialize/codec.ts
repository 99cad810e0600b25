/**
 * Versioned record codecs: `defineCodec` turns a Standard Schema validator plus upgrade steps into an
 * `encode` that refuses bad values, a `decode` that never throws on stored text, and a `trusted` fast path.
 *
 * @module
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { InvalidCodecError, InvalidTrustedTextError, InvalidValueError, type SerializeIssue } from "./errors.ts";
import { salvageFields } from "./salvage_fields.ts";

/** The stable codes a failed decode carries. */
export type DecodeErrorCode = "INVALID_STORED_DATA" | "FUTURE_VERSION" | "UPGRADE_FAILED";

/** Every `DecodeErrorCode`, for exhaustive checks and mapping codes to HTTP statuses in one place. */
export const DECODE_ERROR_CODES: readonly DecodeErrorCode[] = ["INVALID_STORED_DATA", "FUTURE_VERSION", "UPGRADE_FAILED"];

/**
 * Why stored text could not be decoded, as plain data (it is returned, never thrown).
 * `INVALID_STORED_DATA`: the text does not parse, is too large or too deep, or fails validation.
 * `FUTURE_VERSION`: the text was written under a newer version than this codec knows.
 * `UPGRADE_FAILED`: an upgrade step is missing, threw, or produced data the schema rejects.
 */
export interface DecodeError {
  readonly code: DecodeErrorCode;
  /** A sentence a person can act on, naming the codec and versions involved. */
  readonly message: string;
  /** The validation issues (at most `MAX_REPORTED_ISSUES`); empty when the text did not get to validation. */
  readonly issues: readonly SerializeIssue[];
  /** The codec's name. */
  readonly codec: string;
  /** The version the text was stored under, as passed to `decode`. */
  readonly storedVersion: number;
}

/** A successful decode: the validated (and, if needed, upgraded) value. */
export interface DecodeSuccess<T> {
  readonly ok: true;
  readonly value: T;
}

/**
 * A failed decode: the error, the stored text as given (`raw`), and whatever could still be read (`partial`,
 * unvalidated: treat it as hints, such as the id and timestamps to list a bad record).
 */
export interface DecodeFailure<T> {
  readonly ok: false;
  readonly error: DecodeError;
  readonly raw: string;
  readonly partial: Partial<T> | undefined;
}

/** What `codec.decode` returns: never a thrown error. */
export type DecodeResult<T> = DecodeSuccess<T> | DecodeFailure<T>;

/** What `codec.encode` returns: the JSON text to store, and the version to store beside it. */
export interface EncodedRecord {
  readonly text: string;
  readonly version: number;
}

/** Moves a payload stored under version `n` to version `n + 1`. It receives a freshly parsed payload it may mutate. */
export type Upgrade = (payload: unknown) => unknown;

/** Bounds on stored text, applied by `decode` (untrusted input is bounded) and by `encode` (so what we write reads back). */
export interface CodecLimits {
  /** Longest text accepted, in UTF-16 code units. Default 64 MiB (`67_108_864`). */
  readonly maxTextLength?: number;
  /** Deepest nesting of arrays and objects accepted (`[]` is depth 1). Default 512. */
  readonly maxDepth?: number;
}

/** The definition of a codec: see `defineCodec`. */
export interface CodecDefinition<S extends StandardSchemaV1> {
  /** The record kind, used in messages (`"run"`, `"protocol-analysis"`). */
  readonly name: string;
  /** The current version, a positive integer; `encode` stores under it. */
  readonly version: number;
  /**
   * Any Standard Schema v1 validator whose output equals its input (no transforms, no stripping: decode
   * returns the parsed payload itself, so key order and unknown keys survive). Must validate synchronously.
   */
  readonly schema: S;
  /** `upgrades[n]` moves a payload from version `n` to `n + 1`; keys are integers from 1 to `version - 1`. */
  readonly upgrades?: Readonly<Record<number, Upgrade>>;
  /**
   * Reads what it can from a payload that failed: the parsed JSON (possibly an older or newer shape), or, for
   * text that does not parse (truncated, corrupt), the top-level scalar fields salvaged from its readable part.
   * It may throw or return `undefined`. Default: the top-level string, number, boolean and null fields.
   */
  readonly partial?: (payload: unknown) => Partial<StandardSchemaV1.InferOutput<S>> | undefined;
  /** Size and depth bounds; see `CodecLimits`. */
  readonly limits?: CodecLimits;
}

/** A versioned record codec; see `defineCodec`. */
export interface Codec<T> {
  /** The codec's name. */
  readonly name: string;
  /** The version `encode` stores under. */
  readonly version: number;
  /** Validates `value` and returns its JSON text and version; throws `InvalidValueError` for an invalid value. */
  encode(value: T): EncodedRecord;
  /** Parses, upgrades and validates stored text. Never throws: failures come back as `{ ok: false, ... }`. */
  decode(text: string, storedVersion: number): DecodeResult<T>;
  /** Parses text this process wrote under the current version, without validating; throws on non-JSON. */
  trusted(text: string): T;
}

/** The most validation issues a `DecodeError` or `InvalidValueError` carries; the message counts the rest. */
export const MAX_REPORTED_ISSUES: number = 100;

const DEFAULT_MAX_TEXT_LENGTH = 64 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 512;

/**
 * Defines a versioned codec for one kind of stored record. `encode` refuses values that fail the schema;
 * `decode` never throws, whatever the text (empty, truncated, binary, deeply nested, from a newer version);
 * `trusted` skips validation for text this process wrote itself.
 *
 * Round trips are exact for JSON values: `decode(encode(x).text, encode(x).version)` is deep-equal to `x`,
 * with key order, `null` and omitted keys kept. Two JSON rules apply: a key whose value is `undefined` is
 * omitted, and `-0` is stored as `0`.
 *
 * @example
 * ```ts
 * import * as v from "valibot";
 * const runCodec = defineCodec({
 *   name: "run",
 *   version: 2,
 *   schema: v.looseObject({ id: v.string(), createdAt: v.string(), status: v.string() }),
 *   upgrades: { 1: (p) => ({ ...(p as object), status: "unknown" }) },
 * });
 * const { text, version } = runCodec.encode({ id: "r1", createdAt: "2024-01-01T00:00:00Z", status: "ok" });
 * const result = runCodec.decode(text, version);
 * if (result.ok) console.log(result.value.id);
 * else console.warn(result.error.code, result.partial);
 * ```
 */
export function defineCodec<S extends StandardSchemaV1>(
  definition: CodecDefinition<S>,
): Codec<StandardSchemaV1.InferOutput<S>> {
  type T = StandardSchemaV1.InferOutput<S>;
  const { name, version, schema } = checkDefinition(definition);
  const upgrades = new Map<number, Upgrade>();
  for (const [key, step] of Object.entries(definition.upgrades ?? {})) upgrades.set(Number(key), step);
  const maxTextLength = definition.limits?.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
  const maxDepth = definition.limits?.maxDepth ?? DEFAULT_MAX_DEPTH;
  const readPartial = definition.partial ?? topLevelPrimitives;

  function failure(
    code: DecodeErrorCode,
    message: string,
    raw: string,
    storedVersion: number,
    payload: unknown,
    issues: readonly SerializeIssue[] = [],
  ): DecodeFailure<T> {
    let partial: Partial<T> | undefined;
    let partialNote = "";
    if (payload !== undefined) {
      try {
        partial = readPartial(payload) ?? undefined;
      } catch (error) {
        partialNote = ` (reading a partial record also failed: ${errorMessage(error)})`;
      }
    }
    return {
      ok: false,
      error: { code, message: `${name}: ${message}${partialNote}`, issues, codec: name, storedVersion },
      raw,
      partial,
    };
  }

  return {
    name,
    version,
    encode(value: T): EncodedRecord {
      let issues: readonly SerializeIssue[] | "async";
      try {
        issues = validate(schema, value);
      } catch (error) {
        throw new InvalidValueError(`${name}: the schema could not validate the value: ${errorMessage(error)}`, [], { cause: error });
      }
      if (issues === "async") {
        throw new InvalidCodecError(`${name}: the schema validates asynchronously; codecs need a synchronous schema`);
      }
      if (issues.length > 0) {
        throw new InvalidValueError(`${name}: the value fails the schema: ${describe(issues)}`, issues.slice(0, MAX_REPORTED_ISSUES));
      }
      const shapeIssue = findNonJson(value, maxDepth);
      if (shapeIssue) {
        throw new InvalidValueError(`${name}: the value is not plain JSON data: ${describe([shapeIssue])}`, [shapeIssue]);
      }
      const text = JSON.stringify(value);
      if (text.length > maxTextLength) {
        throw new InvalidValueError(
          `${name}: the encoded value is ${text.length} characters, over the codec's maxTextLength of ${maxTextLength}`,
          [{ message: "too large", path: [] }],
        );
      }
      return { text, version };
    },

    decode(text: string, storedVersion: number): DecodeResult<T> {
      try {
        if (typeof text !== "string") {
          return failure("INVALID_STORED_DATA", `stored data is a ${typeof text}, not text`, "", storedVersion, undefined);
        }
        if (typeof storedVersion !== "number" || !Number.isInteger(storedVersion) || storedVersion < 1) {
          return failure("INVALID_STORED_DATA", `stored version ${String(storedVersion)} is not a positive integer`, text, storedVersion, undefined);
        }
        if (text.length > maxTextLength) {
          return failure(
            "INVALID_STORED_DATA",
            `stored text is ${text.length} characters, over the codec's maxTextLength of ${maxTextLength}`,
            text,
            storedVersion,
            undefined,
          );
        }
        if (text.length > maxDepth && nestingExceeds(text, maxDepth)) {
          return failure(
            "INVALID_STORED_DATA",
            `stored text nests deeper than the codec's maxDepth of ${maxDepth}`,
            text,
            storedVersion,
            salvageFields(text),
          );
        }
        let payload: unknown;
        try {
          payload = JSON.parse(text);
        } catch (error) {
          return failure("INVALID_STORED_DATA", `stored text is not JSON (${errorMessage(error)})`, text, storedVersion, salvageFields(text));
        }
        if (storedVersion > version) {
          return failure(
            "FUTURE_VERSION",
            `stored under version ${storedVersion}, newer than this codec's version ${version}; upgrade the software to read it`,
            text,
            storedVersion,
            payload,
          );
        }
        for (let from = storedVersion; from < version; from++) {
          const step = upgrades.get(from);
          if (!step) {
            return failure("UPGRADE_FAILED", `no upgrade from version ${from} to ${from + 1}`, text, storedVersion, payload);
          }
          let next: unknown;
          try {
            next = step(payload);
          } catch (error) {
            return failure("UPGRADE_FAILED", `the upgrade from version ${from} to ${from + 1} threw: ${errorMessage(error)}`, text, storedVersion, payload);
          }
          if (next instanceof Promise) {
            next.catch(() => undefined);
            return failure("UPGRADE_FAILED", `the upgrade from version ${from} to ${from + 1} is async; upgrades must be synchronous`, text, storedVersion, payload);
          }
          payload = next;
        }
        const upgraded = storedVersion < version;
        let issues: readonly SerializeIssue[] | "async";
        try {
          issues = validate(schema, payload);
        } catch (error) {
          // A validator that throws (or recurses past the stack) on hostile data has still rejected it.
          return failure(
            upgraded ? "UPGRADE_FAILED" : "INVALID_STORED_DATA",
            `the schema could not validate the stored data: ${errorMessage(error)}`,
            text,
            storedVersion,
            payload,
          );
        }
        if (issues === "async") {
          return failure("INVALID_STORED_DATA", "the schema validates asynchronously; codecs need a synchronous schema", text, storedVersion, payload);
        }
        if (issues.length > 0) {
          return failure(
            upgraded ? "UPGRADE_FAILED" : "INVALID_STORED_DATA",
            `${upgraded ? `after upgrading from version ${storedVersion}, ` : ""}stored data fails the schema: ${describe(issues)}`,
            text,
            storedVersion,
            payload,
            issues.slice(0, MAX_REPORTED_ISSUES),
          );
        }
        return { ok: true, value: payload as T };
      } catch (error) {
        // Last line of defence for "never throws": anything unforeseen (an upgrade returning a hostile object
        // whose getters throw, a stack overflow outside the validator) is reported as invalid data.
        return {
          ok: false,
          error: {
            code: "INVALID_STORED_DATA",
            message: `${name}: decoding failed unexpectedly: ${errorMessage(error)}`,
            issues: [],
            codec: name,
            storedVersion,
          },
          raw: typeof text === "string" ? text : "",
          partial: undefined,
        };
      }
    },

    trusted(text: string): T {
      try {
        return JSON.parse(text) as T;
      } catch (error) {
        throw new InvalidTrustedTextError(
          `${name}: trusted text is not JSON; use decode for text this process did not just write`,
          { cause: error },
        );
      }
    },
  };
}

function checkDefinition<S extends StandardSchemaV1>(definition: CodecDefinition<S>): CodecDefinition<S> {
  if (typeof definition !== "object" || definition === null) {
    throw new InvalidCodecError("defineCodec needs a definition object { name, version, schema, upgrades }");
  }
  const { name, version, schema, upgrades, partial, limits } = definition;
  if (typeof name !== "string" || name.length === 0) {
    throw new InvalidCodecError("a codec needs a non-empty name");
  }
  if (!Number.isInteger(version) || version < 1) {
    throw new InvalidCodecError(`codec ${name}: version must be a positive integer, got ${String(version)}`);
  }
  const standard = (schema as Partial<StandardSchemaV1> | undefined)?.["~standard"];
  if (!standard || standard.version !== 1 || typeof standard.validate !== "function") {
    throw new InvalidCodecError(`codec ${name}: schema must be a Standard Schema v1 validator`);
  }
  for (const [key, step] of Object.entries(upgrades ?? {})) {
    const from = Number(key);
    if (!Number.isInteger(from) || from < 1 || from >= version) {
      throw new InvalidCodecError(`codec ${name}: upgrade key ${key} must be an integer from 1 to ${version - 1}`);
    }
    if (typeof step !== "function") {
      throw new InvalidCodecError(`codec ${name}: upgrades[${key}] must be a function`);
    }
  }
  if (partial !== undefined && typeof partial !== "function") {
    throw new InvalidCodecError(`codec ${name}: partial must be a function`);
  }
  for (const limit of ["maxTextLength", "maxDepth"] as const) {
    const value = limits?.[limit];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new InvalidCodecError(`codec ${name}: limits.${limit} must be a positive integer, got ${String(value)}`);
    }
  }
  return definition;
}

function validate(schema: StandardSchemaV1, value: unknown): readonly SerializeIssue[] | "async" {
  const result = schema["~standard"].validate(value);
  if (result instanceof Promise) {
    result.catch(() => undefined);
    return "async";
  }
  if (!result.issues) return [];
  return result.issues.map((issue) => ({
    message: String(issue.message),
    path: (issue.path ?? []).map((segment) => (typeof segment === "object" ? segment.key : segment)),
  }));
}

function describe(issues: readonly SerializeIssue[]): string {
  const shown = issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.map(String).join(".") : "(root)"}: ${issue.message}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : "";
  return shown.join("; ") + more;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function topLevelPrimitives<P>(payload: unknown): P | undefined {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return undefined;
  const picked: Record<string, string | number | boolean | null> = {};
  let found = false;
  for (const [key, value] of Object.entries(payload)) {
    if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      // defineProperty, not assignment: a stored "__proto__" key must stay a plain field.
      Object.defineProperty(picked, key, { value, enumerable: true, writable: true, configurable: true });
      found = true;
    }
  }
  return found ? (picked as P) : undefined;
}

/**
 * True when arrays and objects in `text` nest deeper than `maxDepth`. A single pass over the characters that
 * skips string contents, so a hostile `"[".repeat(10_000_000)` is refused before any recursive code sees it.
 */
function nestingExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Jump to the closing quote: the next quote not escaped by an odd run of backslashes.
      let close = text.indexOf('"', i + 1);
      while (close > 0) {
        let backslashes = 0;
        while (text.charCodeAt(close - 1 - backslashes) === 0x5c) backslashes++;
        if ((backslashes & 1) === 0) break;
        close = text.indexOf('"', close + 1);
      }
      // An unterminated string cannot nest further; JSON.parse reports it.
      if (close < 0) return false;
      i = close + 1;
      continue;
    }
    if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
    i++;
  }
  return false;
}

/** Finds the first part of `value` that JSON.stringify would change or drop, or a nesting deeper than `maxDepth`. */
function findNonJson(value: unknown, maxDepth: number): SerializeIssue | undefined {
  interface Frame {
    readonly value: unknown;
    readonly parent: Frame | undefined;
    readonly key: PropertyKey;
    readonly depth: number;
    readonly inArray: boolean;
  }
  const pathOf = (frame: Frame): PropertyKey[] => {
    const path: PropertyKey[] = [];
    for (let f: Frame | undefined = frame; f?.parent; f = f.parent) path.unshift(f.key);
    return path;
  };
  const stack: Frame[] = [{ value, parent: undefined, key: "", depth: 0, inArray: true }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const current = frame.value;
    switch (typeof current) {
      case "string":
      case "boolean":
        continue;
      case "number":
        if (!Number.isFinite(current)) return { message: `${current} has no JSON form`, path: pathOf(frame) };
        continue;
      case "undefined":
        if (frame.inArray) return { message: "undefined has no JSON form here (JSON would write null)", path: pathOf(frame) };
        continue;
      case "object": {
        if (current === null) continue;
        const depth = frame.depth + 1;
        if (depth > maxDepth) {
          return { message: `nests deeper than the codec's maxDepth of ${maxDepth} (or contains a cycle)`, path: pathOf(frame) };
        }
        if (Array.isArray(current)) {
          for (let i = 0; i < current.length; i++) {
            stack.push({ value: current[i], parent: frame, key: i, depth, inArray: true });
          }
          continue;
        }
        const proto: unknown = Object.getPrototypeOf(current);
        if (proto !== Object.prototype && proto !== null) {
          const kind = (proto as { constructor?: { name?: string } }).constructor?.name ?? "non-plain";
          return { message: `a ${kind} object is not plain JSON data`, path: pathOf(frame) };
        }
        for (const key of Object.keys(current)) {
          const child = (current as Record<string, unknown>)[key];
          stack.push({ value: child, parent: frame, key, depth, inArray: false });
        }
        continue;
      }
      default:
        return { message: `a ${typeof current} has no JSON form`, path: pathOf(frame) };
    }
  }
  return undefined;
}
