/**
 * Verification of finished capture files: each `.mcap` is read through `@mcap/core`'s indexed reader (summary,
 * chunk indexes, every chunk's CRC) and its streaming reader (framing, data-section CRC), so an app can report a
 * damaged file at start, and move it aside, instead of syncing it.
 *
 * @module
 */
import { mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { McapIndexedReader, McapStreamReader } from "@mcap/core";
import type { DecompressHandlers } from "@mcap/core";
import { parseCaptureFileName } from "./capture_file_name.ts";
import { loadDecompressHandlers } from "./chunk_compression.ts";
import { syncDirectory } from "./sync_directory.ts";

/** The verdict on one finished capture file. */
export interface VerifiedFile {
  /** The file's name in the capture directory. */
  readonly file: string;
  /** True when both readers read it whole, every CRC matching. */
  readonly ok: boolean;
  /** Messages read (0 when damaged). */
  readonly messages: number;
  /** Why it is damaged. */
  readonly reason?: string;
  /** Where it was moved (relative to the capture directory) with `quarantine: true`. */
  readonly movedTo?: string;
}

/** Options of `verifyCaptureDir`. */
export interface VerifyCaptureDirOptions {
  /** Move each damaged file to `corrupt/` beside a `.json` note (so `sync` does not upload it). Default false. */
  readonly quarantine?: boolean;
  /** Decompressors for zstd chunks. Default `loadDecompressHandlers()`. */
  readonly decompressHandlers?: DecompressHandlers;
}

async function countMessages(bytes: Uint8Array, decompressHandlers: DecompressHandlers): Promise<number> {
  const reader = await McapIndexedReader.Initialize({
    decompressHandlers,
    readable: {
      size: async () => BigInt(bytes.byteLength),
      read: async (offset: bigint, size: bigint) => bytes.subarray(Number(offset), Number(offset + size)),
    },
  });
  let indexed = 0;
  for await (const message of reader.readMessages({ validateCrcs: true })) indexed += message.data ? 1 : 0;
  const stream = new McapStreamReader({ validateCrcs: true, decompressHandlers });
  stream.append(bytes);
  let streamed = 0;
  for (let record = stream.nextRecord(); record; record = stream.nextRecord()) if (record.type === "Message") streamed++;
  if (!stream.done()) throw new Error("the file ends before its footer and closing magic");
  if (streamed !== indexed) throw new Error(`the index lists ${indexed} messages but the data section holds ${streamed}`);
  const expected = reader.statistics?.messageCount;
  if (expected !== undefined && expected !== BigInt(indexed)) {
    throw new Error(`the statistics say ${expected} messages but ${indexed} were read`);
  }
  return indexed;
}

/**
 * Verifies every finished `.mcap` capture file in `dir` (never a `.part`), oldest name first.
 *
 * @example
 * ```ts
 * for (const r of await verifyCaptureDir("/var/lib/deckhand/capture", { quarantine: true })) {
 *   if (!r.ok) console.error(`${r.file} is damaged (${r.reason}); moved to ${r.movedTo}`);
 * }
 * ```
 */
export async function verifyCaptureDir(dir: string, options: VerifyCaptureDirOptions = {}): Promise<VerifiedFile[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const files = entries.filter((e) => parseCaptureFileName(e)?.finished === true).sort();
  const results: VerifiedFile[] = [];
  if (files.length === 0) return results;
  const decompressHandlers = options.decompressHandlers ?? (await loadDecompressHandlers());
  for (const file of files) {
    let reason: string;
    try {
      const bytes = new Uint8Array(await readFile(join(dir, file)));
      results.push({ file, ok: true, messages: await countMessages(bytes, decompressHandlers) });
      continue;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // uploaded and removed by sync meanwhile
      reason = (error as Error).message;
    }
    if (!options.quarantine) {
      results.push({ file, ok: false, messages: 0, reason });
      continue;
    }
    const corruptDir = join(dir, "corrupt");
    await mkdir(corruptDir, { recursive: true });
    await writeFile(join(corruptDir, `${file}.json`), JSON.stringify({ reason, file, verifiedAt: new Date().toISOString() }, null, 2) + "\n");
    await rename(join(dir, file), join(corruptDir, file));
    await syncDirectory(corruptDir);
    await syncDirectory(dir);
    results.push({ file, ok: false, messages: 0, reason, movedTo: join("corrupt", file) });
  }
  return results;
}
