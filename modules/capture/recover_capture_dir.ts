/**
 * Crash recovery of a capture directory: every leftover `.mcap.part` is read up to its last intact record
 * (chunk CRCs checked) and rewritten as a valid, indexed `.mcap`; the torn or unreadable bytes are moved to
 * `corrupt/` beside a JSON reason, never deleted.
 *
 * @module
 */
import { mkdir, open, readFile, readdir, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { McapStreamReader } from "@mcap/core";
import type { DecompressHandlers, TypedMcapRecord } from "@mcap/core";
import { PART_SUFFIX, parseCaptureFileName } from "./capture_file_name.ts";
import { UnrecoverableFileError } from "./errors.ts";
import { McapCaptureFile, MESSAGE_BUFFERED } from "./mcap_capture_file.ts";
import { loadDecompressHandlers } from "./chunk_compression.ts";
import { syncDirectory } from "./sync_directory.ts";

/** What recovery did with one leftover `.mcap.part` file. */
export interface RecoveredFile {
  /** The leftover file's name (in the capture directory). */
  readonly file: string;
  /** The finished `.mcap` written from it, or `undefined` when it held no intact message. */
  readonly output: string | undefined;
  /** Messages copied into `output`, in their original order. */
  readonly recoveredMessages: number;
  /** Bytes that could not be read (torn tail or unreadable file), saved under `corrupt/`. */
  readonly corruptBytes: number;
  /** Where the corrupt bytes went (relative to the capture directory), when there were any. */
  readonly corruptFile: string | undefined;
}

/** Options of `recoverCaptureDir`. */
export interface RecoverCaptureDirOptions {
  /** Decompressors for compressed chunks, as `@mcap/core` readers take them. Default: `loadDecompressHandlers()` (zstd). */
  readonly decompressHandlers?: DecompressHandlers;
}

const MAGIC = new Uint8Array([0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a]);
const RECOVERING_SUFFIX = ".mcap.recovering";
/** Opcode of the DataEnd record: what follows is the summary, which recovery rebuilds instead of copying. */
const DATA_END = 0x0f;

interface Parsed {
  readonly records: TypedMcapRecord[];
  readonly intactEnd: number;
  readonly reason: string | undefined;
}

/** Walks records one by one through the streaming reader, stopping at the first torn or failing one. */
function parseIntactPrefix(bytes: Uint8Array, decompressHandlers: DecompressHandlers): Parsed {
  const records: TypedMcapRecord[] = [];
  if (bytes.byteLength < MAGIC.byteLength || MAGIC.some((b, i) => bytes[i] !== b)) {
    return { records, intactEnd: 0, reason: "the file does not start with the MCAP magic" };
  }
  const reader = new McapStreamReader({ decompressHandlers });
  reader.append(bytes.subarray(0, MAGIC.byteLength));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = MAGIC.byteLength;
  let intactEnd = position;
  let sawHeader = false;
  while (position < bytes.byteLength) {
    if (position + 9 > bytes.byteLength) return { records, intactEnd, reason: "torn record header at the end" };
    const opcode = view.getUint8(position);
    if (opcode === 0) return { records, intactEnd, reason: `invalid opcode 0 at offset ${position}` };
    const end = position + 9 + Number(view.getBigUint64(position + 1, true));
    if (end > bytes.byteLength) return { records, intactEnd, reason: `torn record (opcode ${opcode}) at offset ${position}` };
    if (opcode === DATA_END) return { records, intactEnd: bytes.byteLength, reason: undefined };
    const found: TypedMcapRecord[] = [];
    try {
      reader.append(bytes.subarray(position, end));
      for (let record = reader.nextRecord(); record; record = reader.nextRecord()) found.push(record);
    } catch (error) {
      return { records, intactEnd, reason: `record at offset ${position} failed: ${(error as Error).message}` };
    }
    if (!sawHeader && !found.some((r) => r.type === "Header")) {
      return { records, intactEnd: 0, reason: "the file has no readable MCAP header" };
    }
    sawHeader = true;
    records.push(...found);
    position = end;
    intactEnd = end;
  }
  return { records, intactEnd, reason: undefined };
}

async function writeRecovered(path: string, records: readonly TypedMcapRecord[]): Promise<number> {
  const handle = await open(path, "w");
  try {
    const file = await McapCaptureFile.start(handle, { chunkBytes: 1024 * 1024 });
    const schemas = new Map<number, TypedMcapRecord & { type: "Schema" }>();
    const channelIds = new Map<number, number>();
    let messages = 0;
    for (const record of records) {
      if (record.type === "Schema") schemas.set(record.id, record);
      else if (record.type === "Channel" && !channelIds.has(record.id)) {
        const schema = schemas.get(record.schemaId);
        channelIds.set(
          record.id,
          file.addChannel(
            { name: schema?.name ?? "", encoding: schema?.encoding ?? "", data: schema?.data ?? new Uint8Array() },
            { topic: record.topic, messageEncoding: record.messageEncoding, metadata: record.metadata },
          ),
        );
      } else if (record.type === "Message") {
        const channelId = channelIds.get(record.channelId);
        if (channelId === undefined) continue;
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

async function saveCorrupt(dir: string, name: string, bytes: Uint8Array, reason: string, details: object): Promise<void> {
  const corruptDir = join(dir, "corrupt");
  await mkdir(corruptDir, { recursive: true });
  const handle = await open(join(corruptDir, name), "w");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await writeFile(join(corruptDir, `${name}.json`), JSON.stringify({ reason, ...details }, null, 2) + "\n");
  await syncDirectory(corruptDir);
}

async function recoverFile(dir: string, file: string, decompressHandlers: DecompressHandlers): Promise<RecoveredFile> {
  const partPath = join(dir, file);
  const bytes = await readFile(partPath);
  const parsed = parseIntactPrefix(bytes, decompressHandlers);
  const corruptBytes = bytes.byteLength - parsed.intactEnd;
  const hasMessage = parsed.records.some((r) => r.type === "Message");
  let corruptFile: string | undefined;
  if (corruptBytes > 0) {
    // The torn tail (or the whole unreadable file) is saved before anything is removed.
    const whole = parsed.intactEnd === 0;
    corruptFile = join("corrupt", whole ? file : `${file}.tail`);
    await saveCorrupt(dir, whole ? file : `${file}.tail`, bytes.subarray(parsed.intactEnd), parsed.reason ?? "unreadable", {
      file,
      offset: parsed.intactEnd,
      bytes: corruptBytes,
      fileBytes: bytes.byteLength,
    });
  }
  let output: string | undefined;
  let recoveredMessages = 0;
  if (hasMessage) {
    output = file.slice(0, -".part".length);
    const temp = join(dir, file.slice(0, -PART_SUFFIX.length) + RECOVERING_SUFFIX);
    recoveredMessages = await writeRecovered(temp, parsed.records);
    await rename(temp, join(dir, output));
    await syncDirectory(dir);
  }
  // Only now, with the messages and the corrupt bytes safe, does the leftover go away.
  await unlink(partPath);
  await syncDirectory(dir);
  return { file, output, recoveredMessages, corruptBytes, corruptFile };
}

/**
 * Recovers every leftover `.mcap.part` in `dir` (run it at start, before a capture writer opens the directory).
 * Each becomes a valid, indexed `.mcap` with the same name minus `.part`, holding every message of its intact
 * chunks in order; torn bytes go to `corrupt/` with a `.json` reason. A file without any intact message produces
 * no `.mcap`. Safe to rerun if interrupted: the `.part` is removed only after its results are durable.
 *
 * @example
 * ```ts
 * for (const r of await recoverCaptureDir("/var/lib/deckhand/capture")) {
 *   console.log(`${r.file}: ${r.recoveredMessages} messages recovered, ${r.corruptBytes} bytes to corrupt/`);
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
  for (const file of parts) {
    try {
      results.push(await recoverFile(dir, file, decompressHandlers));
    } catch (error) {
      throw new UnrecoverableFileError(`could not recover ${join(dir, file)}: ${(error as Error).message}`, { cause: error });
    }
  }
  return results;
}
