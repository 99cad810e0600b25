/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) and the SHA-256 content hash built on it: the same data gives
 * the same text and hash whatever its key order, on every runtime.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { NotJsonError } from "./errors.ts";

/** The deepest nesting of arrays and objects `canonicalJson` accepts; deeper values (or cycles) throw `NotJsonError`. */
export const CANONICAL_MAX_DEPTH: number = 1000;

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

function serialize(value: unknown, depth: number): string {
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
      if (depth >= CANONICAL_MAX_DEPTH) {
        throw new NotJsonError(`the value nests deeper than ${CANONICAL_MAX_DEPTH} levels (or contains a cycle)`);
      }
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          const item: unknown = value[i];
          if (item === undefined) throw new NotJsonError(`undefined has no JSON form in an array (index ${i})`);
          out += serialize(item, depth + 1);
        }
        return out + "]";
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const kind = (proto as { constructor?: { name?: string } }).constructor?.name ?? "non-plain";
        throw new NotJsonError(`a ${kind} object is not plain JSON data`);
      }
      const record = value as Record<string, unknown>;
      // Array.prototype.sort compares strings by UTF-16 code units, exactly the order RFC 8785 section 3.2.3 asks for.
      const keys = Object.keys(record).sort();
      let out = "{";
      let first = true;
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        if (!first) out += ",";
        first = false;
        out += serializeString(key);
        out += ":";
        out += serialize(item, depth + 1);
      }
      return out + "}";
    }
    default:
      throw new NotJsonError(`a ${typeof value} has no JSON form`);
  }
}

/**
 * Serializes a JSON value by RFC 8785 (JCS): object keys sorted by UTF-16 code units, no whitespace, numbers in
 * ECMAScript form (`1e+21`, `1e-7`, `-0` as `0`), strings with minimal escapes. Keys whose value is `undefined`
 * are omitted, as in JSON. Throws `NotJsonError` for values with no JSON form (NaN, Infinity, bigint, functions,
 * Dates and other class instances, lone surrogates, cycles, nesting deeper than `CANONICAL_MAX_DEPTH`).
 *
 * @example
 * ```ts
 * canonicalJson({ b: [1e21, -0], a: "€" }); // '{"a":"€","b":[1e+21,0]}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, 0);
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
