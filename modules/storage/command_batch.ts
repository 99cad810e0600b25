/**
 * A batch of commands on its way into one `appendCommands` (or `appendEncodedCommands`): each command checked
 * against the store's input contract (`record_contract.ts`), stringified once, and the batch cut into insert
 * statements bounded in commands and bytes. `encodeCommands` does the same work anywhere (a worker thread, say)
 * and hands back plain data; `checkEncodedCommands` re-checks such data at the store's edge.
 *
 * @module
 */
import { InvalidRecordError, TooLargeError } from "./errors.ts";
import {
  checkEncodedText,
  checkId,
  describeType,
  isWellFormed,
  MAX_DEPTH,
  mayOverflow,
  type ResolvedLimits,
  resolveLimits,
  type StoreLimits,
  utf8Length,
} from "./record_contract.ts";
import type { RunCommand } from "./records.ts";

/**
 * One insert statement of an `appendCommands` batch carries at most this many commands (two bound values each,
 * far below SQLite's 32,766 variables per statement)...
 */
export const STATEMENT_MAX_COMMANDS = 1_000;
/** ...and at most this many UTF-8 bytes of command text (plus one record): each statement stays far below SQLite's limits. */
export const STATEMENT_MAX_BYTES: number = 16 * 1024 * 1024;


/** A batch of commands, checked, stringified and cut into insert statements. */
export interface EncodedBatch {
  /** Each command's id, in order. */
  readonly ids: readonly string[];
  /** Each command's JSON text, in order. */
  readonly texts: readonly string[];
  /** How many commands each insert statement carries, in order (they add up to the batch's length). */
  readonly counts: readonly number[];
}

/**
 * Checks every command of an `appendCommands` batch (a plain JSON object with a non-empty `id` and
 * `commandType`, the contract above) and cuts the batch into statements bounded in commands and bytes.
 * The whole batch is over `maxBatchBytes`, or one command over `maxRecordBytes`: `TooLargeError`.
 */
export function encodeCommandBatch(commands: readonly RunCommand[], limits: ResolvedLimits): EncodedBatch {
  if (!Array.isArray(commands)) throw new InvalidRecordError("appendCommands takes an array of commands");
  const ids: string[] = new Array<string>(commands.length);
  const texts: string[] = new Array<string>(commands.length);
  const cutter = new StatementCutter(limits);
  for (let i = 0; i < commands.length; i++) {
    const command = commands[i];
    ids[i] = checkCommand(command, i);
    const text = JSON.stringify(command);
    if (text.includes("\\ud")) checkEncodedText(text, command, `commands[${i}]`, limits.maxRecordBytes);
    cutter.add(text, i);
    texts[i] = text;
  }
  return { ids, texts, counts: cutter.counts() };
}

/**
 * Commands checked and stringified by {@link encodeCommands}, for `RunStore.appendEncodedCommands`: plain data
 * (two arrays of strings) that a worker thread can post to the thread that owns the store.
 */
export interface EncodedCommands {
  /** Each command's id, in order. */
  readonly ids: readonly string[];
  /** Each command's JSON text (`JSON.stringify` of the command), in order. */
  readonly texts: readonly string[];
}

/**
 * Applies `appendCommands`' whole input contract to `commands` and returns their ids and JSON texts, so the
 * costly part of an append (checking and stringifying every command) can run on another thread. Throws what
 * `appendCommands` throws for the same input: `InvalidRecordError`, `TooLargeError`.
 *
 * @example
 * ```ts
 * // In a worker thread:
 * const encoded = encodeCommands(decodedCommands);
 * postMessage(encoded);
 * // On the store's thread:
 * await store.appendEncodedCommands(runId, encoded);
 * ```
 */
export function encodeCommands(commands: readonly RunCommand[], limits?: StoreLimits): EncodedCommands {
  const { ids, texts } = encodeCommandBatch(commands, resolveLimits(limits));
  return { ids, texts };
}

/**
 * Checks commands encoded elsewhere before they are stored, and cuts them into statements. Everything that
 * could crash, alter or lose data is checked again (the shape of the arrays, each id as any id, each text
 * well-formed Unicode without NUL, a JSON object naming its id, the byte limits), and a text that may hide a
 * lone surrogate or a number beyond double range behind an escape is parsed and checked in full. What is not
 * re-parsed is that each text is otherwise a valid command: one that is not reads back as a bad record
 * (listed, never fatal), like any damaged row.
 */
export function checkEncodedCommands(encoded: unknown, limits: ResolvedLimits): EncodedBatch {
  const { ids, texts } = (encoded ?? {}) as { ids?: unknown; texts?: unknown };
  if (!Array.isArray(ids) || !Array.isArray(texts) || ids.length !== texts.length) {
    throw new InvalidRecordError("appendEncodedCommands takes { ids, texts }: two arrays of strings of the same length, from encodeCommands");
  }
  const cutter = new StatementCutter(limits);
  for (let i = 0; i < ids.length; i++) {
    const id = checkId(ids[i], `commands[${i}].id`);
    const text: unknown = texts[i];
    if (typeof text !== "string" || text.length < 2 || text.charCodeAt(0) !== 0x7b || text.charCodeAt(text.length - 1) !== 0x7d) {
      throw new InvalidRecordError(`commands[${i}] must be the JSON text of a command object, from encodeCommands`);
    }
    if (!isWellFormed(text)) throw new InvalidRecordError(`commands[${i}] is not well-formed Unicode (it contains a lone surrogate); nothing was written`);
    if (text.includes("\0")) throw new InvalidRecordError(`commands[${i}] contains a raw NUL, which JSON text never does; nothing was written`);
    if (!text.includes(`"id":${JSON.stringify(id)}`)) throw new InvalidRecordError(`commands[${i}]'s JSON text does not name its id ${JSON.stringify(id)}`);
    cutter.add(text, i);
    if (text.includes("\\ud") || mayOverflow(text)) checkParsedText(text, i, limits);
  }
  return { ids: ids as string[], texts: texts as string[], counts: cutter.counts() };
}

/** The slow path of {@link checkEncodedCommands}: parses a text that may hide a lone surrogate or an overflow. */
function checkParsedText(text: string, index: number, limits: ResolvedLimits): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidRecordError(`commands[${index}] is not JSON text: ${(error as Error).message}`);
  }
  checkCommand(value, index);
  checkEncodedText(text, value, `commands[${index}]`, limits.maxRecordBytes);
}

/**
 * Takes a batch's texts in order: refuses a text over the per-record limit or a batch over the batch limit
 * (`TooLargeError`, nothing written), and cuts the batch into statements bounded in commands and bytes.
 */
class StatementCutter {
  readonly #limits: ResolvedLimits;
  readonly #counts: number[] = [];
  #chunkCount = 0;
  #chunkBytes = 0;
  #totalBytes = 0;

  constructor(limits: ResolvedLimits) {
    this.#limits = limits;
  }

  /** Adds `text`, the batch's command `index`. */
  add(text: string, index: number): void {
    const { maxRecordBytes, maxBatchBytes } = this.#limits;
    const bytes = utf8Length(text);
    if (bytes > maxRecordBytes) {
      throw new TooLargeError(`commands[${index}] is ${bytes} UTF-8 bytes of JSON, over the per-record limit of ${maxRecordBytes}`);
    }
    this.#totalBytes += bytes;
    if (this.#totalBytes > maxBatchBytes) {
      throw new TooLargeError(
        `the batch is over ${maxBatchBytes} UTF-8 bytes of JSON at commands[${index}]; append it in smaller batches (nothing was written)`,
      );
    }
    if (this.#chunkCount > 0 && (this.#chunkCount >= STATEMENT_MAX_COMMANDS || this.#chunkBytes + bytes > STATEMENT_MAX_BYTES)) {
      this.#counts.push(this.#chunkCount);
      this.#chunkCount = 0;
      this.#chunkBytes = 0;
    }
    this.#chunkCount++;
    this.#chunkBytes += bytes;
  }

  /** How many commands each statement carries, once every text was added. */
  counts(): number[] {
    if (this.#chunkCount > 0) this.#counts.push(this.#chunkCount);
    this.#chunkCount = 0;
    return this.#counts;
  }
}

/** Checks one command of a batch and returns its id. */
function checkCommand(command: unknown, index: number): string {
  if (typeof command !== "object" || command === null || Array.isArray(command)) {
    throw new InvalidRecordError(`commands[${index}] must be a JSON object, got ${describeType(command)}`);
  }
  const { id, commandType } = command as { id?: unknown; commandType?: unknown };
  checkId(id, `commands[${index}].id`);
  if (typeof commandType !== "string" || commandType.length === 0) {
    throw new InvalidRecordError(`commands[${index}].commandType must be a non-empty string`);
  }
  if (!isPlainJson(command, 0)) {
    const problem = findNonJson(command, [`commands[${index}]`], 0) ?? `commands[${index}]: not plain JSON data`;
    throw new InvalidRecordError(`${problem}; nothing was written`);
  }
  return id as string;
}

/** True when `value` is plain JSON data that `JSON.stringify` writes without change, nesting at most `MAX_DEPTH`. */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined || !isPlainJson(item, depth + 1)) return false;
        }
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        const item = (value as Record<string, unknown>)[key];
        if (item !== undefined && !isPlainJson(item, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** The path and reason of the first part of `value` that is not plain JSON (the slow path, for the message). */
function findNonJson(value: unknown, path: string[], depth: number): string | undefined {
  const where = (): string => path.join("");
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `${where()} is ${value}, which has no JSON form`;
    case "object": {
      if (value === null) return undefined;
      if (depth >= MAX_DEPTH) return `${where()} nests deeper than ${MAX_DEPTH}`;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (value[i] === undefined) return `${where()}[${i}] is undefined, which has no JSON form in an array`;
          const found = findNonJson(value[i], [...path, `[${i}]`], depth + 1);
          if (found) return found;
        }
        return undefined;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return `${where()} is a ${describeType(value)}, not plain JSON data`;
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined) continue;
        const found = findNonJson(item, [...path, `.${key}`], depth + 1);
        if (found) return found;
      }
      return undefined;
    }
    default:
      return `${where()} is a ${typeof value}, which has no JSON form`;
  }
}

