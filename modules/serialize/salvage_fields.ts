/**
 * Reads the top-level scalar fields of a JSON object text that does not parse as a whole (truncated by a power
 * cut, a corrupt body): the id and timestamps of a bad record can usually still be shown.
 *
 * @module
 */

/** A top-level JSON scalar. */
export type Scalar = string | number | boolean | null;

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Index of the quote closing the string that opens at `start`, or -1 if the text ends first. */
function closingQuote(text: string, start: number): number {
  let close = text.indexOf('"', start + 1);
  while (close > 0) {
    let backslashes = 0;
    while (text.charCodeAt(close - 1 - backslashes) === 0x5c) backslashes++;
    if ((backslashes & 1) === 0) return close;
    close = text.indexOf('"', close + 1);
  }
  return -1;
}

/** Index just past the array or object that opens at `start`, or -1 if the text ends first. Iterative. */
function skipNested(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = closingQuote(text, i);
      if (i < 0) return -1;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
    } else if (c === 0x5d || c === 0x7d) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** Longer number tokens are not salvaged (and a regular expression never runs on a huge token). */
const MAX_NUMBER_TOKEN = 400;
const HEX = /^[0-9a-fA-F]{4}$/;

/**
 * True when `token` is one complete JSON string: quotes, no raw control characters, valid escapes. A loop, not
 * a regular expression, so a multi-megabyte token cannot exhaust the regex engine's backtracking stack.
 */
function isJsonString(token: string): boolean {
  const last = token.length - 1;
  if (last < 1 || token.charCodeAt(0) !== 0x22 || token.charCodeAt(last) !== 0x22) return false;
  for (let i = 1; i < last; i++) {
    const c = token.charCodeAt(i);
    if (c < 0x20 || c === 0x22) return false;
    if (c !== 0x5c) continue;
    const next = token[++i];
    if (next === "u") {
      if (!HEX.test(token.slice(i + 1, i + 5))) return false;
      i += 4;
    } else if (next === undefined || i >= last || !'"\\/bfnrt'.includes(next)) {
      return false;
    }
  }
  return true;
}

/** Parses one complete JSON scalar token; the grammar is checked first, so JSON.parse cannot throw here. */
function parseScalar(token: string): { ok: true; value: Scalar } | { ok: false } {
  if (token === "true") return { ok: true, value: true };
  if (token === "false") return { ok: true, value: false };
  if (token === "null") return { ok: true, value: null };
  if (isJsonString(token)) return { ok: true, value: JSON.parse(token) as string };
  if (token.length <= MAX_NUMBER_TOKEN && JSON_NUMBER.test(token)) return { ok: true, value: JSON.parse(token) as number };
  return { ok: false };
}

/**
 * The top-level string, number, boolean and null fields of the object `text` starts with, read up to the first
 * point where the text stops being valid JSON; nested values are skipped. `undefined` when none could be read.
 */
export function salvageFields(text: string): Record<string, Scalar> | undefined {
  const fields: Record<string, Scalar> = {};
  let found = false;
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && WHITESPACE.has(text.charCodeAt(i))) i++;
  };
  skipSpace();
  if (text.charCodeAt(i) !== 0x7b) return undefined;
  i++;
  while (i < text.length) {
    skipSpace();
    if (text.charCodeAt(i) !== 0x22) break;
    const keyEnd = closingQuote(text, i);
    if (keyEnd < 0) break;
    const key = parseScalar(text.slice(i, keyEnd + 1));
    if (!key.ok || typeof key.value !== "string") break;
    i = keyEnd + 1;
    skipSpace();
    if (text.charCodeAt(i) !== 0x3a) break;
    i++;
    skipSpace();
    const c = text.charCodeAt(i);
    let end: number;
    if (c === 0x22) {
      end = closingQuote(text, i);
      if (end >= 0) end++;
    } else if (c === 0x7b || c === 0x5b) {
      end = skipNested(text, i);
    } else {
      end = i;
      while (end < text.length && !WHITESPACE.has(text.charCodeAt(end)) && text[end] !== "," && text[end] !== "}") end++;
      // A number or literal running into the end of the text may be cut short ("12" of "1234"): not trusted.
      if (end === text.length) end = -1;
    }
    if (end < 0) break;
    if (c !== 0x7b && c !== 0x5b) {
      const value = parseScalar(text.slice(i, end));
      if (!value.ok) break;
      Object.defineProperty(fields, key.value, { value: value.value, enumerable: true, writable: true, configurable: true });
      found = true;
    }
    i = end;
    skipSpace();
    if (text.charCodeAt(i) !== 0x2c) break;
    i++;
  }
  return found ? fields : undefined;
}
