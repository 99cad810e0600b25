/**
 * Crash recovery of a capture directory: every leftover `.mcap.part` is read record by record (chunk CRCs checked)
 * and rewritten as a valid, indexed `.mcap`. Damaged framing does not end the scan: recovery resynchronises on
 * the next chunk whose CRC checks, so every intact chunk is kept; every byte it could not use is copied to
 * `corrupt/` beside a JSON note, never deleted. A `.part` that cannot be read at all is reported and left in place.
 *
 * @module
 */
import { mkdir, open, readFile, readdir, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { McapRecordBuilder, McapStreamReader } from "@mcap/core";
import type { Channel, DecompressHandlers, Schema, TypedMcapRecord } from "@mcap/core";
import { PART_SUFFIX, parseCaptureFileName } from "./capture_file_name.ts";
import { UnrecoverableFileError } from "./errors.ts";
import { McapCaptureFile, MESSAGE_BUFFERED } from "./mcap_capture_file.ts";
import { loadDecompressHandlers } from "./chunk_compression.ts";
import { syncDirectory } from "./sync_directory.ts";

/** A byte range of a `.part` that recovery could not use (copied to `corrupt/`). */
export interface DamagedRange {
  /** Offset of the range in the `.part`. */
  readonly offset: number;
  /** Its length in bytes. */
  readonly bytes: number;
  /** Why it could not be used (torn record, bad opcode, CRC mismatch...). */
  readonly reason: string;
}

/** What recovery did with one leftover `.mcap.part` file. */
export interface RecoveredFile {
  /** The leftover file's name (in the capture directory). */
  readonly file: string;
  /**
   * `"recovered"`: its messages are in `output`; `"empty"`: it held no intact message (removed, damaged bytes
   * saved); `"failed"`: it could not be processed at all (`error`), and is left in place untouched.
   */
  readonly status: "recovered" | "empty" | "failed";
  /** The finished `.mcap` written from it, or `undefined` when it held no intact message. */
  readonly output: string | undefined;
  /** Messages copied into `output`, in their original order. */
  readonly recoveredMessages: number;
  /** Bytes that could not be used (torn tail, damaged records, unreadable file), saved under `corrupt/`. */
  readonly corruptBytes: number;
  /** Where the corrupt bytes went (relative to the capture directory), when there were any. */
  readonly corruptFile: string | undefined;
  /** Each damaged range, in file order (resynchronised past when an intact chunk followed). */
  readonly damaged: readonly DamagedRange[];
  /** Why a `"failed"` file could not be processed. */
  readonly error?: UnrecoverableFileError;
}

/** Options of `recoverCaptureDir`. */
export interface RecoverCaptureDirOptions {
  /** Decompressors for compressed chunks, as `@mcap/core` readers take them. Default: `loadDecompressHandlers()` (zstd). */
  readonly decompressHandlers?: DecompressHandlers;
  /** Reads a whole `.part`; inject one to simulate unreadable files. Default `node:fs/promises` `readFile`. */
  readonly readFile?: (path: string) => Promise<Uint8Array>;
}

const MAGIC = new Uint8Array([0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a]);
const RECOVERING_SUFFIX = ".mcap.recovering";
const HEADER = 0x01;
const CHUNK = 0x06;
const MESSAGE_INDEX = 0x07;
/** Opcode of the DataEnd record: what follows is the summary, which recovery rebuilds instead of copying. */
const DATA_END = 0x0f;
/** Chunk compressions capture writes; a candidate chunk naming another is not a chunk. */
const COMPRESSIONS = new Set(["", "zstd"]);

interface Scan {
  readonly records: TypedMcapRecord[];
  readonly damaged: DamagedRange[];
  readonly messages: number;
}

/** Where a chunk record at `at` would end, if its framing is plausible (opcode, lengths, compression name). */
function plausibleChunkEnd(bytes: Uint8Array, view: DataView, at: number): number | undefined {
  if (at + 9 + 8 + 8 + 8 + 4 + 4 > bytes.byteLength || bytes[at] !== CHUNK) return undefined;
  const length = view.getBigUint64(at + 1, true);
  if (length > BigInt(bytes.byteLength - at - 9)) return undefined;
  const crc = view.getUint32(at + 9 + 24, true);
  const nameLength = view.getUint32(at + 9 + 28, true);
  if (crc === 0 || nameLength > 16) return undefined; // capture always writes a CRC
  const nameAt = at + 9 + 32;
  if (nameAt + nameLength + 8 > bytes.byteLength) return undefined;
  const name = new TextDecoder().decode(bytes.subarray(nameAt, nameAt + nameLength));
  if (!COMPRESSIONS.has(name)) return undefined;
  const recordsLength = view.getBigUint64(nameAt + nameLength, true);
  if (BigInt(32 + nameLength + 8) + recordsLength !== length) return undefined;
  return at + 9 + Number(length);
}

/**
 * Reads the records of a capture file, keeping every intact chunk. At damaged framing (bad opcode, impossible
 * length, torn record, failed CRC) it scans forward for the next plausible chunk and accepts it when its CRC checks.
 */
function scanRecords(bytes: Uint8Array, decompressHandlers: DecompressHandlers): Scan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: TypedMcapRecord[] = [];
  const damaged: DamagedRange[] = [];
  const schemas = new Map<number, Schema>();
  const channels = new Map<number, Channel>();
  let messages = 0;
  let badFrom: number | undefined;
  let badReason = "";
  let lastChunkChannels: Set<number> | undefined;
  const hasMagic = bytes.byteLength >= MAGIC.byteLength && MAGIC.every((b, i) => bytes[i] === b);
  let position = hasMagic ? MAGIC.byteLength : 0;
  if (!hasMagic) {
    badFrom = 0;
    badReason = "the file does not start with the MCAP magic";
  }
  let sawHeader = false;

  /** Channel ids whose channel record was lost with a damaged chunk: their messages go to a placeholder channel. */
  const orphans = new Set<number>();

  /** Parses the one record in [at, end) with a fresh reader seeded with the channels known so far. */
  const parseOnce = (at: number, end: number): TypedMcapRecord[] => {
    const seed = new McapRecordBuilder();
    for (const schema of schemas.values()) seed.writeSchema(schema);
    for (const channel of channels.values()) seed.writeChannel(channel);
    for (const id of orphans) {
      if (!channels.has(id)) seed.writeChannel({ id, schemaId: 0, topic: "", messageEncoding: "json", metadata: new Map() });
    }
    const reader = new McapStreamReader({ noMagicPrefix: true, validateCrcs: true, decompressHandlers });
    reader.append(seed.buffer);
    reader.append(bytes.subarray(at, end));
    let seeded = schemas.size + channels.size;
    for (const id of orphans) if (!channels.has(id)) seeded++;
    const found: TypedMcapRecord[] = [];
    for (let record = reader.nextRecord(), i = 0; record; record = reader.nextRecord(), i++) if (i >= seeded) found.push(record);
    if (reader.bytesRemaining() !== 0) throw new Error("the record is not complete");
    return found;
  };
  const parse = (at: number, end: number): TypedMcapRecord[] => {
    for (;;) {
      try {
        return parseOnce(at, end);
      } catch (error) {
        // An intact chunk whose channel was defined in a damaged one: keep its messages on a placeholder channel.
        const orphan = /message on channel (\d+) without prior channel record/.exec((error as Error).message);
        if (!orphan || orphans.has(Number(orphan[1])) || orphans.size >= 1024) throw error;
        orphans.add(Number(orphan[1]));
      }
    }
  };

  const closeBadRange = (end: number): void => {
    if (badFrom !== undefined && end > badFrom) damaged.push({ offset: badFrom, bytes: end - badFrom, reason: badReason });
    badFrom = undefined;
  };

  while (position < bytes.byteLength) {
    if (badFrom !== undefined) {
      // Resynchronise: the next plausible chunk whose CRC checks starts intact data again.
      let candidate = bytes.indexOf(CHUNK, position);
      let resumed = false;
      let rejected = 0;
      while (candidate >= 0) {
        const end = plausibleChunkEnd(bytes, view, candidate);
        if (end !== undefined) {
          try {
            const found = parse(candidate, end);
            closeBadRange(candidate);
            accept(found, CHUNK);
            position = end;
            resumed = true;
            break;
          } catch (error) {
            // Not an intact chunk at this offset (CRC or content check failed): keep scanning. The bytes stay
            // in the damaged range, and the note says what was rejected.
            rejected++;
            badReason = `${badReason.replace(/; \d+ chunk-like record\(s\) inside rejected.*$/, "")}; ${rejected} chunk-like record(s) inside rejected (last: ${(error as Error).message})`;
          }
        }
        candidate = bytes.indexOf(CHUNK, candidate + 1);
      }
      if (!resumed) break;
      continue;
    }
    const at = position;
    if (at + 9 > bytes.byteLength) {
      badFrom = at;
      badReason = `torn record header at offset ${at}`;
      break;
    }
    const opcode = view.getUint8(at);
    const length = view.getBigUint64(at + 1, true);
    const allowed = sawHeader
      ? opcode === CHUNK || opcode === DATA_END || (opcode === MESSAGE_INDEX && lastChunkChannels !== undefined)
      : opcode === HEADER;
    if (!allowed) {
      badFrom = at;
      badReason = `unexpected record (opcode 0x${opcode.toString(16)}) at offset ${at}`;
      continue;
    }
    if (length > BigInt(bytes.byteLength - at - 9)) {
      badFrom = at;
      badReason = `torn or impossible record (opcode 0x${opcode.toString(16)}, ${length} bytes) at offset ${at}`;
      continue;
    }
    const end = at + 9 + Number(length);
    if (opcode === DATA_END) {
      position = bytes.byteLength; // the summary is rebuilt, not copied
      break;
    }
    let found: TypedMcapRecord[];
    try {
      found = parse(at, end);
      if (opcode === MESSAGE_INDEX) {
        const index = found[0];
        if (found.length !== 1 || index?.type !== "MessageIndex" || !lastChunkChannels!.has(index.channelId)) {
          throw new Error("a message index that does not belong to the chunk before it");
        }
      }
    } catch (error) {
      badFrom = at;
      badReason = `record (opcode 0x${opcode.toString(16)}) at offset ${at} failed: ${(error as Error).message}`;
      continue;
    }
    accept(found, opcode);
    position = end;
  }
  if (badFrom !== undefined) closeBadRange(bytes.byteLength);
  return { records, damaged, messages };

  function accept(found: TypedMcapRecord[], opcode: number): void {
    if (opcode === HEADER) sawHeader = true;
    if (opcode === CHUNK) {
      sawHeader = true; // a resync past a damaged header still finds self-describing chunks
      lastChunkChannels = new Set();
    } else if (opcode !== MESSAGE_INDEX) {
      lastChunkChannels = undefined;
    }
    for (const record of found) {
      if (record.type === "Schema") schemas.set(record.id, record);
      else if (record.type === "Channel") channels.set(record.id, record);
      else if (record.type === "Message") {
        messages++;
        lastChunkChannels?.add(record.channelId);
      }
      records.push(record);
    }
  }
}

async function writeRecovered(path: string, collector: string, records: readonly TypedMcapRecord[]): Promise<number> {
  const handle = await open(path, "w");
  try {
    const file = await McapCaptureFile.start(handle, { chunkBytes: 1024 * 1024, label: `recovered file ${path}` });
    const schemas = new Map<number, Schema>();
    const channelIds = new Map<number, number>();
    let messages = 0;
    for (const record of records) {
      if (record.type === "Schema") schemas.set(record.id, record);
      else if (record.type === "Channel" && !channelIds.has(record.id)) {
        const schema = record.schemaId === 0 ? undefined : schemas.get(record.schemaId);
        channelIds.set(
          record.id,
          file.addChannel(
            schema ? { name: schema.name, encoding: schema.encoding, data: schema.data } : undefined,
            { topic: record.topic, messageEncoding: record.messageEncoding, metadata: record.metadata },
          ),
        );
      } else if (record.type === "Message") {
        let channelId = channelIds.get(record.channelId);
        if (channelId === undefined) {
          // Its channel record was in a damaged chunk: the messages are kept on a placeholder topic that says so.
          channelId = file.addChannel(undefined, {
            topic: `/${collector}/recovered-channel-${record.channelId}`,
            messageEncoding: "json",
            metadata: new Map([["deckhand.recovered", "the channel record was lost with a damaged chunk"]]),
          });
          channelIds.set(record.channelId, channelId);
        }
        if (file.addMessage(channelId, record.sequence, record.logTime, record.data) !== MESSAGE_BUFFERED) await file.flushChunk();
        messages++;
      }
    }
    await file.end();
    await handle.sync();
    return messages;
  } finally {
    await handle.close();
  }
}

async function saveCorrupt(dir: string, name: string, bytes: Uint8Array, note: object): Promise<void> {
  const corruptDir = join(dir, "corrupt");
  await mkdir(corruptDir, { recursive: true });
  const handle = await open(join(corruptDir, name), "w");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await writeFile(join(corruptDir, `${name}.json`), JSON.stringify(note, null, 2) + "\n");
  await syncDirectory(corruptDir);
}

async function recoverFile(
  dir: string,
  file: string,
  decompressHandlers: DecompressHandlers,
  read: (path: string) => Promise<Uint8Array>,
): Promise<RecoveredFile> {
  const partPath = join(dir, file);
  const bytes = await read(partPath);
  const scan = scanRecords(bytes, decompressHandlers);
  const corruptBytes = scan.damaged.reduce((n, r) => n + r.bytes, 0);
  let corruptFile: string | undefined;
  if (corruptBytes > 0) {
    // The damaged bytes (the whole file when nothing was usable) are saved before anything is removed.
    const whole = scan.messages === 0 && corruptBytes === bytes.byteLength;
    const onlyTail = scan.damaged.length === 1 && scan.damaged[0]!.offset + scan.damaged[0]!.bytes === bytes.byteLength;
    const name = whole ? file : onlyTail ? `${file}.tail` : `${file}.damaged`;
    corruptFile = join("corrupt", name);
    const saved = new Uint8Array(corruptBytes);
    let at = 0;
    for (const range of scan.damaged) {
      saved.set(bytes.subarray(range.offset, range.offset + range.bytes), at);
      at += range.bytes;
    }
    await saveCorrupt(dir, name, saved, {
      reason: scan.damaged[0]!.reason,
      file,
      offset: scan.damaged[0]!.offset,
      bytes: corruptBytes,
      fileBytes: bytes.byteLength,
      // The saved file is these ranges of the .part, concatenated in this order.
      ranges: scan.damaged,
    });
  }
  let output: string | undefined;
  let recoveredMessages = 0;
  if (scan.messages > 0) {
    output = file.slice(0, -".part".length);
    const temp = join(dir, file.slice(0, -PART_SUFFIX.length) + RECOVERING_SUFFIX);
    recoveredMessages = await writeRecovered(temp, parseCaptureFileName(file)!.collector, scan.records);
    await rename(temp, join(dir, output));
    await syncDirectory(dir);
  }
  // Only now, with the messages and the corrupt bytes safe, does the leftover go away.
  await unlink(partPath);
  await syncDirectory(dir);
  return {
    file,
    status: output ? "recovered" : "empty",
    output,
    recoveredMessages,
    corruptBytes,
    corruptFile,
    damaged: scan.damaged,
  };
}

/**
 * Recovers every leftover `.mcap.part` in `dir` (run it at start, before a capture writer opens the directory).
 * Each becomes a valid, indexed `.mcap` with the same name minus `.part`, holding every message of its intact
 * chunks in order, including chunks after damaged framing; unusable bytes go to `corrupt/` with a `.json` note.
 * A file without any intact message produces no `.mcap`. A `.part` that cannot be read is reported
 * (`status: "failed"`) and left in place; the others are still recovered. Safe to rerun if interrupted: the `.part`
 * is removed only after its results are durable.
 *
 * @example
 * ```ts
 * for (const r of await recoverCaptureDir("/var/lib/deckhand/capture")) {
 *   console.log(`${r.file}: ${r.status}, ${r.recoveredMessages} messages, ${r.corruptBytes} bytes to corrupt/`);
 * }
 * ```
 */
export async function recoverCaptureDir(dir: string, options: RecoverCaptureDirOptions = {}): Promise<RecoveredFile[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  // A temp output exists only if its rename did not happen, so its .part is still there to redo it from.
  for (const entry of entries.filter((e) => e.endsWith(RECOVERING_SUFFIX))) await unlink(join(dir, entry));
  const parts = entries
    .filter((e) => e.endsWith(PART_SUFFIX) && parseCaptureFileName(e) !== undefined)
    .sort();
  const results: RecoveredFile[] = [];
  if (parts.length === 0) return results;
  const decompressHandlers = options.decompressHandlers ?? (await loadDecompressHandlers());
  const read = options.readFile ?? readFile;
  for (const file of parts) {
    try {
      results.push(await recoverFile(dir, file, decompressHandlers, read));
    } catch (error) {
      // One unreadable leftover must not stop the others, nor every start of the app: it is reported, left in place.
      results.push({
        file,
        status: "failed",
        output: undefined,
        recoveredMessages: 0,
        corruptBytes: 0,
        corruptFile: undefined,
        damaged: [],
        error: new UnrecoverableFileError(`could not recover ${join(dir, file)}: ${(error as Error).message}; it is left in place`, {
          cause: error,
        }),
      });
    }
  }
  return results;
}
