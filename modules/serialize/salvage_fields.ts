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

function parseScalar(token: string): { ok: true; value: Scalar } | { ok: false } {
  try {
    const value: unknown = JSON.parse(token);
    if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      return { ok: true, value };
    }
    return { ok: false };
  } catch {
    // Not a complete JSON scalar (cut off or corrupt): salvage stops here by design.
    return { ok: false };
  }
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
