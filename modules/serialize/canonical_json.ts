/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) and the SHA-256 content hash built on it: the same data gives
 * the same text and hash whatever its key order, on every runtime.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { NotJsonError } from "./errors.ts";

interface MaybeWellFormed {
  isWellFormed?: () => boolean;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isWellFormed(text: string): boolean {
  const native = (text as unknown as MaybeWellFormed).isWellFormed;
  return native ? native.call(text) : !loneSurrogate.test(text);
}

function serializeString(text: string): string {
  if (!isWellFormed(text)) {
    throw new NotJsonError(`a string with a lone surrogate has no canonical form (RFC 8785 section 3.2.2.2)`);
  }
  // JSON.stringify escapes exactly as RFC 8785 requires: \b \t \n \f \r \" \\, other controls as \u00xx, the rest literal.
  return JSON.stringify(text);
}

/**
 * The explicit serializer, for the objects whose sorted key order a JS object cannot hold (integer-like keys
 * such as `"10"` before `"2"`) and their ancestors; every child goes back through the fast path.
 */
function serialize(value: unknown): string {
  switch (typeof value) {
    case "string":
      return serializeString(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new NotJsonError(`${value} has no JSON form`);
      // ECMAScript's Number-to-String is the algorithm RFC 8785 specifies; String(-0) is already "0".
      return String(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          const item: unknown = value[i];
          if (item === undefined) throw new NotJsonError(`undefined has no JSON form in an array (index ${i})`);
          out += serializeValue(item);
        }
        return out + "]";
      }
      const record = value as Record<string, unknown>;
      // Array.prototype.sort compares strings by UTF-16 code units, exactly the order RFC 8785 section 3.2.3 asks for.
      const keys = plainObjectKeys(record).sort();
      let out = "{";
      let first = true;
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        if (!first) out += ",";
        first = false;
        out += serializeString(key);
        out += ":";
        out += serializeValue(item);
      }
      return out + "}";
    }
    default:
      throw new NotJsonError(`a ${typeof value} has no JSON form`);
  }
}

/** Thrown inside the fast path when an object's key order cannot be expressed by a JS object (integer-like keys). */
const NEEDS_SLOW_PATH: unique symbol = Symbol("needs the explicit serializer");

function plainObjectKeys(raw: object): string[] {
  const proto: unknown = Object.getPrototypeOf(raw);
  if (proto !== Object.prototype && proto !== null) {
    const kind = (proto as { constructor?: { name?: string } }).constructor?.name ?? "non-plain";
    throw new NotJsonError(`a ${kind} object is not plain JSON data`);
  }
  if (typeof (raw as { toJSON?: unknown }).toJSON === "function") {
    throw new NotJsonError("an object with a toJSON method is not plain JSON data");
  }
  return Object.keys(raw);
}

/**
 * True when JSON text holds a `\\udXXX` escape: JSON.stringify writes one only for a lone surrogate (it escapes
 * no other character in that range), and a backslash that is itself escaped does not start an escape.
 */
function hasEscapedLoneSurrogate(text: string): boolean {
  for (let at = text.indexOf("\\ud"); at >= 0; at = text.indexOf("\\ud", at + 1)) {
    let backslashes = 1;
    while (text.charCodeAt(at - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 1) return true;
  }
  return false;
}

/**
 * The fast path: JSON.stringify already formats numbers and escapes strings exactly as RFC 8785 asks, so a
 * replacer only has to refuse what has no JSON form and hand over objects with their keys in sorted order.
 * It inspects the holder's raw value (`this[key]`), before any toJSON, so a Date is refused, not stringified.
 */
function canonicalReplacer(this: unknown, key: string, _value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  switch (typeof raw) {
    case "string":
      // Lone surrogates are found afterwards in the output, in one pass (see hasEscapedLoneSurrogate).
      return raw;
    case "number":
      if (!Number.isFinite(raw)) throw new NotJsonError(`${raw} has no JSON form`);
      return raw;
    case "boolean":
      return raw;
    case "undefined":
      if (Array.isArray(this)) throw new NotJsonError(`undefined has no JSON form in an array (index ${key})`);
      return undefined;
    case "object": {
      if (raw === null || Array.isArray(raw)) return raw;
      const keys = plainObjectKeys(raw);
      let sorted = true;
      for (let i = 1; i < keys.length; i++) {
        if (keys[i - 1]! > keys[i]!) {
          sorted = false;
          break;
        }
      }
      if (sorted) return raw;
      keys.sort();
      const copy = Object.create(null) as Record<string, unknown>;
      for (const k of keys) copy[k] = (raw as Record<string, unknown>)[k];
      const order = Object.keys(copy);
      for (let i = 0; i < order.length; i++) if (order[i] !== keys[i]) throw NEEDS_SLOW_PATH;
      return copy;
    }
    default:
      throw new NotJsonError(`a ${typeof raw} has no JSON form`);
  }
}

/**
 * Serializes a JSON value by RFC 8785 (JCS): object keys sorted by UTF-16 code units, no whitespace, numbers in
 * ECMAScript form (`1e+21`, `1e-7`, `-0` as `0`), strings with minimal escapes. Keys whose value is `undefined`
 * are omitted, as in JSON. Throws `NotJsonError` for values with no JSON form (NaN, Infinity, bigint, functions,
 * Dates and other class instances, lone surrogates, cycles, nesting deeper than the engine's stack allows).
 *
 * @example
 * ```ts
 * canonicalJson({ b: [1e21, -0], a: "€" }); // '{"a":"€","b":[1e+21,0]}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  try {
    return serializeValue(value);
  } catch (error) {
    if (error instanceof NotJsonError) throw error;
    // JSON.stringify's own refusals: a cycle (TypeError), a bigint (TypeError), nesting past the stack (RangeError).
    throw new NotJsonError(`the value has no canonical JSON form: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** Serializes through the fast path, falling back to the explicit serializer only where an object needs it. */
function serializeValue(value: unknown): string {
  if (typeof value !== "object" || value === null) return serialize(value);
  let text: string;
  try {
    text = JSON.stringify(value, canonicalReplacer) as string;
  } catch (error) {
    if (error !== NEEDS_SLOW_PATH) throw error;
    return serialize(value);
  }
  if (hasEscapedLoneSurrogate(text)) {
    throw new NotJsonError("a string with a lone surrogate has no canonical form (RFC 8785 section 3.2.2.2)");
  }
  return text;
}

/**
 * The SHA-256 (lowercase hex) of the UTF-8 bytes of `canonicalJson(value)`: a content address that does not
 * depend on key order. Synchronous (`node:crypto`, available on Node and Deno) so keys can be computed inline,
 * for example as an HTTP ETag.
 *
 * @example
 * ```ts
 * contentHash({ a: 1, b: 2 }) === contentHash({ b: 2, a: 1 }); // true
 * ```
 */
export function contentHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value), "utf8").digest("hex");
}
