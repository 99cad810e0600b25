/**
 * Invalid UTF-8 on the wire is refused, not repaired: a lenient decoder would turn each bad byte into U+FFFD and
 * store text the client never sent. Bodies, multipart part headers (file names) and text fields, and the request
 * target (path ids, raw bytes or percent-encoded) are decoded with a fatal decoder; a failure answers 422 with
 * the error envelope before anything is stored.
 *
 * @module
 */
import type { IncomingMessage } from "node:http";
import type { Context } from "hono";
import { InvalidIdError, InvalidRequestError } from "./errors.ts";

const fatal = new TextDecoder("utf-8", { fatal: true });

/**
 * `bytes` as text, or undefined when they are not valid UTF-8 (overlong forms, surrogates, stray bytes).
 *
 * @example
 * ```ts
 * decodeUtf8Strict(new Uint8Array([0x68, 0x69])); // "hi"
 * decodeUtf8Strict(new Uint8Array([0xed, 0xa0, 0x80])); // undefined (a surrogate)
 * ```
 */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return fatal.decode(bytes);
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
}

const HEX = /^[0-9a-fA-F]{2}$/;

/** The bytes a request target stands for: raw bytes (as Node's latin1 `req.url`) with `%XX` escapes decoded. */
export function targetBytes(latin1Target: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < latin1Target.length; i++) {
    const ch = latin1Target.charCodeAt(i);
    if (ch === 0x25 && HEX.test(latin1Target.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(latin1Target.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch < 0x100) {
      out.push(ch);
    } else {
      // Not from Node's parser (e.g. `app.request` in-process): encode the character as UTF-8.
      out.push(...new TextEncoder().encode(latin1Target[i]!));
    }
  }
  return new Uint8Array(out);
}

/**
 * Throws `InvalidIdError` (422) when the request target is not valid UTF-8 once percent-decoded, reading the raw
 * target Node received (`incoming.url`, where a raw byte is one latin1 character), or the URL when in-process.
 */
export function checkRequestTarget(c: Context): void {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  let target = incoming?.url;
  if (target === undefined) {
    const url = new URL(c.req.url);
    target = url.pathname + url.search;
  }
  if (decodeUtf8Strict(targetBytes(target)) === undefined) {
    throw new InvalidIdError("the request path or query is not valid UTF-8 (ids must be UTF-8 text)", { meta: { field: "path" } });
  }
}

/** The request body's bytes decoded strictly; throws `InvalidRequestError` (422) when they are not UTF-8. */
export function strictBodyText(bytes: Uint8Array): string {
  const text = decodeUtf8Strict(bytes);
  if (text === undefined) {
    throw new InvalidRequestError("the request body is not valid UTF-8", { meta: { issues: [{ message: "the request body is not valid UTF-8", path: [] }] } });
  }
  return text;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle, from);
}

/**
 * Throws `InvalidRequestError` (422) when a part of a `multipart/form-data` body has headers (its field and file
 * name) that are not valid UTF-8, or is a text field (no `filename`) whose value is not. File contents are not
 * checked (they may be binary).
 */
export function checkMultipartUtf8(bytes: Uint8Array, contentType: string): void {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!match) return; // the form parser refuses it
  const delimiter = new TextEncoder().encode(`--${match[1] ?? match[2]}`);
  const headerEnd = new TextEncoder().encode("\r\n\r\n");
  let at = indexOf(bytes, delimiter, 0);
  while (at >= 0) {
    const headersStart = at + delimiter.length;
    if (bytes[headersStart] === 0x2d && bytes[headersStart + 1] === 0x2d) return; // the closing delimiter
    const end = indexOf(bytes, headerEnd, headersStart);
    if (end < 0) return;
    const headers = decodeUtf8Strict(bytes.subarray(headersStart, end));
    if (headers === undefined) throw new InvalidRequestError("a multipart part's headers (its field or file name) are not valid UTF-8", { meta: { issues: [{ message: "file or field name is not valid UTF-8", path: [] }] } });
    const next = indexOf(bytes, delimiter, end + headerEnd.length);
    if (!/filename\*?=/i.test(headers) && next >= 0 && decodeUtf8Strict(bytes.subarray(end + headerEnd.length, next)) === undefined) {
      throw new InvalidRequestError("a multipart text field is not valid UTF-8", { meta: { issues: [{ message: "a text field is not valid UTF-8", path: [] }] } });
    }
    at = next;
  }
}
