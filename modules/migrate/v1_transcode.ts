/**
 * The fast path of the v1 -> v2 decoding worker: a v1 blob's command list goes from MessagePack bytes straight
 * to the JSON text of each command, with no JavaScript object in between. The slow path (`decodeV1Run`, then
 * `encodeCommands`) builds every command as objects, checks them twice and stringifies them; most of the
 * migration's CPU went there and to collecting the garbage.
 *
 * Keys are written in JavaScript's property order, as JSON.stringify writes a decoded object: array-index keys
 * ("1", "12") first in ascending order, then the others in the bytes' order.
 *
 * It is written for speed (one pass over the bytes, into one output buffer sized for the worst case, decoded
 * to text once per run), so its state lives in module variables: a worker transcodes one blob at a time.
 *
 * The fast path is exact or absent: `transcodeV1Run` answers only when its answer is what the slow path gives
 * for the same blob (the same texts, byte for byte, and the same run), and `undefined` for anything it is not
 * sure of, which then takes the slow path. It gives up on:
 * - anything not well-formed: cut-off or trailing bytes, invalid UTF-8, a map key that is not a string;
 * - anything that is not plain JSON (binary, extensions, a number that is not finite, 64-bit integers);
 * - a key repeated in one map (a JavaScript object keeps its first place and its last value), `__proto__`
 *   (whatever its string header), an array-index key at the top level of a command (it would move the id);
 * - a string of more than 200 bytes that starts with a byte-order mark (the decoder drops it);
 * - nesting deeper than 64 inside a command, an id the run store would refuse or that JSON escapes, a
 *   repeated command id, a blob over 64 MiB or a command text over 16 MiB, and every run `checkV1Document`
 *   would not accept.
 * A property test holds it to that: over arbitrary documents and damaged bytes, every answer equals the slow
 * path's.
 *
 * @module
 */
import { Decoder } from "@msgpack/msgpack";
import type { EncodedCommands } from "@deckhand/storage";
import { checkV1Document, type V1Run } from "./v1_format.ts";

/** A v1 run with its commands as the run store's encoded texts. */
export type V1TranscodedRun = Omit<V1Run, "commands"> & { readonly commands: EncodedCommands };

/** Thrown inside the transcoder to give up; caught by `transcodeV1Run`, never seen outside. */
const GIVE_UP: unique symbol = Symbol("give up");

/** Nesting the fast path takes inside one command (the slow path takes any the store accepts). */
const MAX_FAST_DEPTH = 64;
/**
 * The largest blob the fast path takes: its output buffer is 7 times the blob, so a run's texts stay within the
 * run store's `MAX_BATCH_BYTES` (512 MiB; a test holds it there).
 */
export const MAX_FAST_BLOB_BYTES: number = 64 * 1024 * 1024;
/** JSON text is at most this many times its MessagePack (a string byte becomes `\u00XX` plus a separator). */
export const WORST_EXPANSION = 7;
/** The largest command text the fast path gives, in UTF-8 bytes: within the run store's `MAX_RECORD_BYTES` (a test holds it there). */
export const FAST_MAX_TEXT_BYTES: number = 16 * 1024 * 1024;
/** The decoder turns strings longer than this through `TextDecoder`, which drops a leading byte-order mark. */
const TEXT_DECODER_THRESHOLD = 200;
/**
 * The longest command id the fast path takes, in UTF-8 bytes: within the run store's `MAX_ID_BYTES` (1024, a
 * test holds it there) without importing the store, which the worker then loads only for the slow path.
 */
export const FAST_MAX_ID_BYTES = 256;
/** Maps with more keys than this check for repeats by name, smaller ones by comparing bytes. */
const PAIRWISE_KEYS = 64;

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// (The text starts with "{", so the BOM option does not matter; the default keeps Node on its fast path.)
const checkedUtf8 = new TextDecoder();
const decoder = new Decoder();
const HEX = "0123456789abcdef";
/** 1 for the bytes a JSON string holds as they are: ASCII from space up, except `"` and `\`. */
const PLAIN: Uint8Array = new Uint8Array(256).map((_, c) => (c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c ? 1 : 0));

// The state of the one transcoding in progress.
let input: Uint8Array = new Uint8Array(0);
let view: DataView = new DataView(input.buffer);
let p = 0;
let out: Uint8Array = new Uint8Array(0);
let o = 0;
/** UTF-16 code units minus UTF-8 bytes written so far (so a byte position plus `units` is a character position). */
let units = 0;
/** Escapes written so far. */
let escapes = 0;
/** The byte ranges of the keys of the maps being written (a stack: each map pops its own). */
let keys: Int32Array = new Int32Array(256);
let keyTop = 0;
/** Where each key-value pair of the maps being written went (array index or -1, start, end; a stack). Doubles: an index reaches 2^32 - 2. */
let pairs: Float64Array = new Float64Array(384);
let pairTop = 0;

/**
 * The fast path: `id`'s v1 blob as a run whose commands are the run store's encoded texts, exactly what
 * `decodeV1Run` followed by `encodeCommands` gives, or `undefined` when the blob needs the slow path (anything
 * unusual, and every blob that is quarantined). Never throws.
 *
 * @example
 * ```ts
 * const run = transcodeV1Run(row.id, row.blob) ?? slowPath(row.id, row.blob);
 * ```
 */
export function transcodeV1Run(id: string, blob: Uint8Array): V1TranscodedRun | undefined {
  if (blob.byteLength === 0 || blob.byteLength > MAX_FAST_BLOB_BYTES) return undefined;
  input = blob;
  view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  p = 0;
  if (out.byteLength < WORST_EXPANSION * blob.byteLength + 16) out = new Uint8Array(WORST_EXPANSION * blob.byteLength + 16);
  o = 0;
  units = 0;
  escapes = 0;
  keyTop = 0;
  pairTop = 0;
  // A blob given up on mid-map leaves its big maps' name sets behind.
  keySets.length = 0;
  try {
    return transcode(id);
  } catch {
    // GIVE_UP, invalid UTF-8 (the fatal decoder), or a value the decoder refuses: the slow path gives the
    // answer, and its reason when the row is quarantined.
    return undefined;
  } finally {
    input = new Uint8Array(0);
    view = new DataView(input.buffer);
  }
}

function transcode(id: string): V1TranscodedRun {
  const size = mapHeader();
  const document: Record<string, unknown> = {};
  const seen = new Set<string>();
  let commands: EncodedCommands | undefined;
  for (let i = 0; i < size; i++) {
    const key = fatalUtf8.decode(stringBytes());
    if (seen.has(key) || key === "__proto__") throw GIVE_UP;
    seen.add(key);
    if (key === "commands") {
      commands = commandList();
      document[key] = [];
    } else {
      const start = p;
      skip(0);
      document[key] = decoder.decode(input.subarray(start, p));
    }
  }
  if (p !== input.byteLength || commands === undefined) throw GIVE_UP;
  const checked = checkV1Document(id, document);
  if (checked.kind !== "run") throw GIVE_UP;
  return { ...checked, commands };
}

/** Transcodes the command list; gives up on any command the slow path would refuse or write differently. */
function commandList(): EncodedCommands {
  const count = arrayHeader();
  // Each command's start and end in the output, as byte and as character positions, and its id's characters.
  const byteBounds = new Array<number>(count + 1);
  const charBounds = new Array<number>(count + 1);
  const idBounds = new Array<number>(2 * count);
  byteBounds[0] = o;
  charBounds[0] = o + units;
  for (let i = 0; i < count; i++) {
    command(idBounds, 2 * i);
    byteBounds[i + 1] = o;
    charBounds[i + 1] = o + units;
    if (byteBounds[i + 1]! - byteBounds[i]! > FAST_MAX_TEXT_BYTES) throw GIVE_UP;
  }
  // Decoded without checks (every string's UTF-8 was checked as it was copied), in as few calls as possible: a
  // stretch of ASCII commands at once, each other command alone (so its neighbours stay one-byte strings).
  const ids = new Array<string>(count);
  const texts = new Array<string>(count);
  let from = 0;
  for (let i = 0; i <= count; i++) {
    const ascii = i < count && charBounds[i + 1]! - charBounds[i]! === byteBounds[i + 1]! - byteBounds[i]!;
    if (ascii) continue;
    if (from < i) slices(from, i, byteBounds, charBounds, idBounds, ids, texts);
    if (i < count) slices(i, i + 1, byteBounds, charBounds, idBounds, ids, texts);
    from = i + 1;
  }
  const seen = new Set<string>(ids);
  if (seen.size !== count) throw GIVE_UP;
  return { ids, texts };
}

/** Decodes the output of commands `from..to` in one call, and slices their texts and ids from it. */
function slices(
  from: number,
  to: number,
  byteBounds: number[],
  charBounds: number[],
  idBounds: number[],
  ids: string[],
  texts: string[],
): void {
  const text = checkedUtf8.decode(out.subarray(byteBounds[from], byteBounds[to]));
  const base = charBounds[from]!;
  for (let i = from; i < to; i++) {
    ids[i] = text.slice(idBounds[2 * i]! - base, idBounds[2 * i + 1]! - base);
    texts[i] = text.slice(charBounds[i]! - base, charBounds[i + 1]! - base);
  }
}

/**
 * Writes one command (a map) as JSON text, and the character positions of its id's text into `idBounds` at
 * `at`. Gives up unless it has a string `id` the run store takes, unescaped in JSON, and a non-empty string
 * `commandType`.
 */
function command(idBounds: number[], at: number): void {
  const size = mapHeader();
  let idFound = false;
  let commandTypeFound = false;
  out[o++] = 0x7b; // {
  const keyBase = keyTop;
  for (let i = 0; i < size; i++) {
    if (i > 0) out[o++] = 0x2c; // ,
    const keyStart = p;
    const index = key(keyBase, size);
    out[o++] = 0x3a; // :
    if (isKey(keyStart, "id")) {
      // "id": a string of 1..FAST_MAX_ID_BYTES bytes, no NUL, nothing JSON escapes.
      const escapesBefore = escapes;
      const bytes = peekStringLength();
      const idStart = o + units + 1;
      value(1);
      const idEnd = o + units - 1;
      if (bytes === 0 || bytes > FAST_MAX_ID_BYTES || escapes !== escapesBefore || input.subarray(p - bytes, p).includes(0)) throw GIVE_UP;
      idBounds[at] = idStart;
      idBounds[at + 1] = idEnd;
      idFound = true;
    } else if (isKey(keyStart, "commandType")) {
      if (peekStringLength() === 0) throw GIVE_UP;
      value(1);
      commandTypeFound = true;
    } else {
      value(1);
    }
    // An array-index key first in a command would move its id: such commands (none in practice) take the slow path.
    if (index >= 0) throw GIVE_UP;
  }
  keyTop = keyBase;
  out[o++] = 0x7d; // }
  if (!idFound || !commandTypeFound) throw GIVE_UP;
}

/** The byte length of the string at `p`, read from its header without moving `p`; gives up on anything else. */
function peekStringLength(): number {
  const at = p;
  try {
    return stringHeader();
  } finally {
    p = at;
  }
}

/** True when the bytes at `at` are the ASCII `name`. */
function asciiAt(at: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) if (input[at + i] !== name.charCodeAt(i)) return false;
  return true;
}

/** True when the fixstr at `at` is `name` (ASCII, under 32 bytes). */
function isKey(at: number, name: string): boolean {
  return input[at] === (0xa0 | name.length) && asciiAt(at + 1, name);
}

/** Writes one value as JSON text. */
function value(depth: number): void {
  if (depth > MAX_FAST_DEPTH) throw GIVE_UP;
  const h = byte();
  if (h < 0x80) return digits(h);
  if (h >= 0xe0) return integer(h - 0x100);
  if (h <= 0x8f) return map(h & 0x0f, depth);
  if (h <= 0x9f) return array(h & 0x0f, depth);
  if (h <= 0xbf) return string(h & 0x1f);
  switch (h) {
    case 0xc0:
      return ascii("null");
    case 0xc2:
      return ascii("false");
    case 0xc3:
      return ascii("true");
    case 0xca:
      return finite(view.getFloat32(take(4)));
    case 0xcb:
      return finite(view.getFloat64(take(8)));
    case 0xcc:
      return digits(byte());
    case 0xcd:
      return digits(u16());
    case 0xce:
      return digits(u32());
    case 0xd0:
      return integer(view.getInt8(take(1)));
    case 0xd1:
      return integer(view.getInt16(take(2)));
    case 0xd2:
      return integer(view.getInt32(take(4)));
    case 0xd9:
      return string(byte());
    case 0xda:
      return string(u16());
    case 0xdb:
      return string(u32());
    case 0xdc:
      return array(u16(), depth);
    case 0xdd:
      return array(u32(), depth);
    case 0xde:
      return map(u16(), depth);
    case 0xdf:
      return map(u32(), depth);
    default:
      // 64-bit integers, binary, extensions (timestamps), and the never-used 0xc1.
      throw GIVE_UP;
  }
}

function map(size: number, depth: number): void {
  out[o++] = 0x7b;
  const start = o;
  const keyBase = keyTop;
  const pairBase = pairTop;
  let indexKeys = false;
  for (let i = 0; i < size; i++) {
    if (i > 0) out[o++] = 0x2c;
    const pairStart = o;
    const index = key(keyBase, size);
    out[o++] = 0x3a;
    value(depth + 1);
    indexKeys = pair(index, pairStart) || indexKeys;
  }
  if (indexKeys) reorder(start, pairBase);
  keyTop = keyBase;
  pairTop = pairBase;
  out[o++] = 0x7d;
}

function array(size: number, depth: number): void {
  out[o++] = 0x5b;
  for (let i = 0; i < size; i++) {
    if (i > 0) out[o++] = 0x2c;
    value(depth + 1);
  }
  out[o++] = 0x5d;
}

/**
 * Writes a map key and returns its value if it is an array index ("0", "12"), else -1. Gives up on a key that
 * is not a string, `__proto__` (the decoder refuses it) or a key repeated in the map (a JavaScript object keeps
 * its first place with its last value). The map's keys so far are `keys[keyBase..keyTop)`.
 */
function key(keyBase: number, size: number): number {
  const length = stringHeader();
  const start = p;
  const end = start + length;
  if (end > input.byteLength) throw GIVE_UP;
  // Whatever its header (fixstr, str8, str16, str32).
  if (length === 9 && asciiAt(start, "__proto__")) throw GIVE_UP;
  if (size > PAIRWISE_KEYS) {
    if (keyTop === keyBase) keySets.push(new Set());
    const names = keySets[keySets.length - 1]!;
    // One character per byte: different bytes are different names.
    let name = "";
    for (let i = start; i < end; i++) name += String.fromCharCode(input[i]!);
    if (names.has(name)) throw GIVE_UP;
    names.add(name);
    if (names.size === size) keySets.pop();
  } else {
    for (let k = keyBase; k < keyTop; k += 2) {
      const otherStart = keys[k]!;
      if (keys[k + 1]! - otherStart !== length) continue;
      let same = true;
      for (let i = 0; i < length; i++) {
        if (input[otherStart + i] !== input[start + i]) {
          same = false;
          break;
        }
      }
      if (same) throw GIVE_UP;
    }
  }
  if (keyTop + 2 > keys.length) keys = grow(keys);
  keys[keyTop++] = start;
  keys[keyTop++] = end;
  string(length);
  return arrayIndex(start, end);
}

/** The name sets of the big maps being written (a stack). */
const keySets: Set<string>[] = [];

/** The value of a key that is a canonical array index (what a JavaScript object lists first, ascending), else -1. */
function arrayIndex(start: number, end: number): number {
  const length = end - start;
  if (length === 0 || length > 10) return -1;
  const first = input[start]!;
  if (first < 0x30 || first > 0x39 || (length > 1 && first === 0x30)) return -1;
  let index = 0;
  for (let i = start; i < end; i++) {
    const digit = input[i]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    index = index * 10 + digit;
  }
  return index <= 4294967294 ? index : -1;
}

/** Records where a key-value pair went; true if its key is an array index. */
function pair(index: number, start: number): boolean {
  if (pairTop + 3 > pairs.length) pairs = grow(pairs);
  pairs[pairTop++] = index;
  pairs[pairTop++] = start;
  pairs[pairTop++] = o;
  return index >= 0;
}

/**
 * Rewrites a map's pairs (`pairs[pairBase..pairTop)`), written from `start` in the bytes' order, in JavaScript's
 * property order: array-index keys first, ascending, then the other keys in their order. Only the order of
 * whole pairs changes, so the character positions of the map's end stay right.
 */
function reorder(start: number, pairBase: number): void {
  const written = out.slice(start, o);
  const order: number[] = [];
  for (let i = pairBase; i < pairTop; i += 3) order.push(i);
  order.sort((a, b) => {
    const ia = pairs[a]!;
    const ib = pairs[b]!;
    if (ia >= 0 && ib >= 0) return ia - ib;
    if (ia >= 0) return -1;
    if (ib >= 0) return 1;
    return a - b;
  });
  let at = start;
  for (const [n, i] of order.entries()) {
    if (n > 0) out[at++] = 0x2c;
    const pairStart = pairs[i + 1]! - start;
    const pairEnd = pairs[i + 2]! - start;
    out.set(written.subarray(pairStart, pairEnd), at);
    at += pairEnd - pairStart;
  }
}

function grow<T extends Int32Array | Float64Array>(array: T): T {
  const grown = new (array.constructor as new (length: number) => T)(array.length * 2);
  grown.set(array);
  return grown;
}

/**
 * Writes the `length` bytes at `p` (a value or a key) as a JSON string, escaped as JSON.stringify escapes; gives
 * up on bytes that are not well-formed UTF-8, and on a leading byte-order mark in a long string (which the
 * decoder drops).
 */
function string(length: number): void {
  const start = p;
  const end = start + length;
  if (end > input.byteLength) throw GIVE_UP;
  if (length > TEXT_DECODER_THRESHOLD && input[start] === 0xef && input[start + 1] === 0xbb && input[start + 2] === 0xbf) {
    throw GIVE_UP;
  }
  p = end;
  const bytes = input;
  const target = out;
  let at = o;
  target[at++] = 0x22;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (PLAIN[c] === 1) {
      target[at++] = c;
    } else if (c >= 0x80) {
      // A UTF-8 sequence, checked here (the run's text is then decoded without checks) and copied whole.
      const length = utf8SequenceLength(bytes, i, end);
      if (length === 0) throw GIVE_UP;
      for (let k = 0; k < length; k++) target[at++] = bytes[i + k]!;
      i += length - 1;
      // Two or three bytes make one UTF-16 unit, four make two.
      units -= length === 4 ? 2 : length - 1;
    } else {
      escapes++;
      target[at++] = 0x5c;
      if (c === 0x22 || c === 0x5c) target[at++] = c;
      else if (c === 0x08) target[at++] = 0x62; // \b
      else if (c === 0x09) target[at++] = 0x74; // \t
      else if (c === 0x0a) target[at++] = 0x6e; // \n
      else if (c === 0x0c) target[at++] = 0x66; // \f
      else if (c === 0x0d) target[at++] = 0x72; // \r
      else {
        target[at++] = 0x75; // \u00XX
        target[at++] = 0x30;
        target[at++] = 0x30;
        target[at++] = HEX.charCodeAt(c >> 4);
        target[at++] = HEX.charCodeAt(c & 0x0f);
      }
    }
  }
  target[at++] = 0x22;
  o = at;
}

/**
 * The length of the well-formed UTF-8 sequence at `i` (before `end`), or 0 if it is not one: a stray
 * continuation byte, an overlong form, a surrogate, a code point past U+10FFFF, or a cut-off sequence.
 */
function utf8SequenceLength(bytes: Uint8Array, i: number, end: number): number {
  const lead = bytes[i]!;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0;
    else if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    else if (lead === 0xf4) high = 0x8f;
  } else return 0;
  if (i + length > end) return 0;
  const second = bytes[i + 1]!;
  if (second < low || second > high) return 0;
  for (let k = 2; k < length; k++) {
    const next = bytes[i + k]!;
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return length;
}

/** Writes a non-negative integer below 2^32. */
function digits(n: number): void {
  if (n < 10) {
    out[o++] = 0x30 + n;
    return;
  }
  if (n < 100) {
    out[o++] = 0x30 + ((n / 10) | 0);
    out[o++] = 0x30 + (n % 10);
    return;
  }
  ascii(String(n));
}

function integer(n: number): void {
  if (n >= 0) digits(n);
  else ascii(String(n));
}

function finite(n: number): void {
  if (!Number.isFinite(n)) throw GIVE_UP;
  if (Number.isInteger(n) && n >= 0 && n < 100 && !Object.is(n, -0)) digits(n);
  else ascii(String(n));
}

function ascii(text: string): void {
  for (let i = 0; i < text.length; i++) out[o++] = text.charCodeAt(i);
}

/** Skips one value of any kind (nesting at most `MAX_FAST_DEPTH`); gives up on malformed bytes. */
function skip(depth: number): void {
  if (depth > MAX_FAST_DEPTH) throw GIVE_UP;
  const h = byte();
  if (h < 0x80 || h >= 0xe0 || h === 0xc0 || h === 0xc2 || h === 0xc3) return;
  if (h <= 0x8f) return skipValues(2 * (h & 0x0f), depth);
  if (h <= 0x9f) return skipValues(h & 0x0f, depth);
  if (h <= 0xbf) return advance(h & 0x1f);
  switch (h) {
    case 0xc4: // bin 8/16/32, str 8/16/32
    case 0xd9:
      return advance(byte());
    case 0xc5:
    case 0xda:
      return advance(u16());
    case 0xc6:
    case 0xdb:
      return advance(u32());
    case 0xc7: // ext 8/16/32: length, type, data
      return advance(byte() + 1);
    case 0xc8:
      return advance(u16() + 1);
    case 0xc9:
      return advance(u32() + 1);
    case 0xcc:
    case 0xd0:
      return advance(1);
    case 0xcd:
    case 0xd1:
      return advance(2);
    case 0xca:
    case 0xce:
    case 0xd2:
      return advance(4);
    case 0xcb:
    case 0xcf:
    case 0xd3:
      return advance(8);
    case 0xd4: // fixext 1/2/4/8/16: type, data
      return advance(2);
    case 0xd5:
      return advance(3);
    case 0xd6:
      return advance(5);
    case 0xd7:
      return advance(9);
    case 0xd8:
      return advance(17);
    case 0xdc:
      return skipValues(u16(), depth);
    case 0xdd:
      return skipValues(u32(), depth);
    case 0xde:
      return skipValues(2 * u16(), depth);
    case 0xdf:
      return skipValues(2 * u32(), depth);
    default:
      throw GIVE_UP;
  }
}

function skipValues(count: number, depth: number): void {
  for (let i = 0; i < count; i++) skip(depth + 1);
}

function mapHeader(): number {
  return header(0x80, 0xde, 0xdf);
}

function arrayHeader(): number {
  return header(0x90, 0xdc, 0xdd);
}

/** Reads a map or array header (`fix` is its fix-size type); gives up on anything else. Returns its size. */
function header(fix: number, size16: number, size32: number): number {
  const h = byte();
  if (h >= fix && h <= fix + 0x0f) return h & 0x0f;
  if (h === size16) return u16();
  if (h === size32) return u32();
  throw GIVE_UP;
}

/** Reads a string header; gives up on anything else. Returns the string's length in bytes. */
function stringHeader(): number {
  const h = byte();
  if (h >= 0xa0 && h <= 0xbf) return h & 0x1f;
  if (h === 0xd9) return byte();
  if (h === 0xda) return u16();
  if (h === 0xdb) return u32();
  throw GIVE_UP;
}

/** The bytes of a string at `p` (a top-level key). */
function stringBytes(): Uint8Array {
  const start = take(stringHeader());
  return input.subarray(start, p);
}

function advance(bytes: number): void {
  take(bytes);
}

/** Moves `p` past the next `bytes` bytes and returns where they start; gives up if the blob ends first. */
function take(bytes: number): number {
  if (p + bytes > input.byteLength) throw GIVE_UP;
  p += bytes;
  return p - bytes;
}

function byte(): number {
  const b = input[p];
  if (b === undefined) throw GIVE_UP;
  p++;
  return b;
}

function u16(): number {
  return view.getUint16(take(2));
}

function u32(): number {
  return view.getUint32(take(4));
}
