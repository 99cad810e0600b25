/**
 * The capture writer: appends samples to one MCAP file per collector (a schema and channel per collector and
 * method), rotates files by size and age, flushes complete chunks every `flushIntervalMs`, and applies the disk
 * policy before each new file.
 *
 * @module
 */
import { mkdir, open, readdir, rename } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { CaptureEvent } from "./capture_event.ts";
import { formatCaptureFileName, isValidCollectorName, parseCaptureFileName } from "./capture_file_name.ts";
import { systemClock } from "./clock.ts";
import type { Clock } from "./clock.ts";
import { deleteEveryNthFinishedFile, statfsFreeBytes } from "./disk_policy.ts";
import type { DiskPolicy } from "./disk_policy.ts";
import { CaptureError, CaptureFileError, DiskFullError, InvalidOptionsError, WriterClosedError } from "./errors.ts";
import { syncDirectory } from "./sync_directory.ts";
import { CHUNK_FULL, FILE_FULL, MESSAGE_BUFFERED, McapCaptureFile } from "./mcap_capture_file.ts";
import type { AppendStatus, ChunkCompressor } from "./mcap_capture_file.ts";
import { isChunkCompression, loadChunkCompressor } from "./chunk_compression.ts";
import type { ChunkCompression } from "./chunk_compression.ts";

/** Options of `createCaptureWriter`. Only `dir` is required. */
export interface CaptureWriterOptions {
  /** The capture directory (created if missing). Files are written flat into it. */
  readonly dir: string;
  /** A file is finished and renamed to `.mcap` at the first write that takes it to this size. Default 64 MiB. */
  readonly maxFileBytes?: number;
  /**
   * A file is finished at the first flush (every `flushIntervalMs`, or `flush()`) after it is this old, or at
   * the next write that needs a new channel. Default 5 minutes.
   */
  readonly maxFileAgeMs?: number;
  /**
   * How often buffered messages are written as complete chunks and fsynced. A `kill -9` (or power cut) loses at
   * most the messages written in the last `flushIntervalMs`. Default 1000.
   */
  readonly flushIntervalMs?: number;
  /**
   * Chunk compression: `"zstd"` (Foxglove's own wasm codec; readers then need `loadDecompressHandlers()`) or
   * `"none"`. Default `"none"`.
   */
  readonly compression?: ChunkCompression;
  /** A chunk is also ended when its records reach this size. Default 1 MiB (or `maxFileBytes` if smaller). */
  readonly chunkBytes?: number;
  /** Time source for log times and file ages. Default `systemClock`. The flush timer always runs on real time. */
  readonly clock?: Clock;
  /** What to do when free space is low; checked before each new file. Default: no check. */
  readonly disk?: DiskPolicy;
  /** Receives file, flush, disk-policy and background-error events. Must not throw. */
  readonly onEvent?: (event: CaptureEvent) => void;
}

/** Writes samples into rotated, crash-recoverable MCAP capture files. */
export interface CaptureWriter {
  /** The capture directory. */
  readonly dir: string;
  /**
   * Appends one sample to the collector's current file on channel `/<collector>/<method>` (JSON encoding).
   * A `Uint8Array` sample is taken as already-encoded JSON bytes; anything else goes through `JSON.stringify`.
   * `logTimeMs` defaults to `clock.now()`.
   */
  write(collector: string, method: string, sample: unknown, logTimeMs?: number): Promise<void>;
  /** Writes every buffered message as complete chunks and fsyncs them; what was written before is then on disk. */
  flush(): Promise<void>;
  /**
   * Finishes every open file (indexed, fsynced, renamed to `.mcap`) and stops the flush timer, which keeps the
   * process alive until then. Idempotent.
   */
  close(): Promise<void>;
}

interface OpenFile {
  readonly collector: string;
  readonly name: string;
  readonly handle: FileHandle;
  readonly file: McapCaptureFile;
  readonly openedAtMs: number;
  readonly channels: Map<string, number>;
  readonly sequences: number[];
  /** Whether the directory was fsynced since this file was created (done at its first flush). */
  nameSynced: boolean;
}

const RESOLVED: Promise<void> = Promise.resolve();
const encoder = new TextEncoder();
const JSON_SCHEMA = encoder.encode("{}");

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new InvalidOptionsError(`${name} must be a positive finite number, got ${String(value)}`);
  }
  return v;
}

function encodeSample(sample: unknown): Uint8Array {
  if (sample instanceof Uint8Array) return sample;
  return encoder.encode(JSON.stringify(sample) ?? "null");
}

/** Epoch milliseconds to MCAP nanoseconds at microsecond precision (exact in a double, unlike ns). */
function toLogTime(ms: number): bigint {
  return BigInt(Math.round(ms * 1000)) * 1000n;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

class FileCaptureWriter implements CaptureWriter {
  readonly dir: string;
  readonly #maxFileBytes: number;
  readonly #maxFileAgeMs: number;
  readonly #flushIntervalMs: number;
  readonly #chunkBytes: number;
  readonly #compression: ChunkCompression;
  #compressor: Promise<ChunkCompressor | undefined> | undefined;
  readonly #clock: Clock;
  readonly #disk: DiskPolicy | undefined;
  readonly #onEvent: (event: CaptureEvent) => void;
  readonly #files = new Map<string, OpenFile>();
  readonly #nextSequence = new Map<string, number>();
  #sequencesScanned = false;
  #queue: Promise<void> = RESOLVED;
  #queued = 0;
  #tickPending = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #failure: Error | undefined;
  #paused = false;
  #lastDiskCheckMs = Number.NEGATIVE_INFINITY;

  constructor(options: CaptureWriterOptions) {
    if (typeof options?.dir !== "string" || options.dir.length === 0) {
      throw new InvalidOptionsError("dir must be a non-empty path");
    }
    this.dir = options.dir;
    this.#maxFileBytes = positive("maxFileBytes", options.maxFileBytes, 64 * 1024 * 1024);
    this.#maxFileAgeMs = positive("maxFileAgeMs", options.maxFileAgeMs, 5 * 60_000);
    this.#flushIntervalMs = positive("flushIntervalMs", options.flushIntervalMs, 1000);
    this.#chunkBytes = positive("chunkBytes", options.chunkBytes, Math.min(1024 * 1024, this.#maxFileBytes));
    const compression = options.compression ?? "none";
    if (!isChunkCompression(compression)) {
      throw new InvalidOptionsError(`compression "${String(compression)}" is not supported; use "none" or "zstd"`);
    }
    this.#compression = compression;
    if (options.disk) {
      positive("disk.minFreeBytes", options.disk.minFreeBytes, 0);
      const policy = options.disk.policy;
      if (policy !== "pause") {
        const n = policy?.deleteEveryNth;
        if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
          throw new InvalidOptionsError(`disk.policy must be "pause" or { deleteEveryNth: integer >= 1 }`);
        }
      }
    }
    this.#disk = options.disk;
    this.#clock = options.clock ?? systemClock;
    this.#onEvent = options.onEvent ?? (() => {});
    // The timer keeps the process alive until close(), like an open file stream: buffered data needs it.
    this.#timer = setInterval(() => this.#scheduleTick(), this.#flushIntervalMs);
  }

  write(collector: string, method: string, sample: unknown, logTimeMs?: number): Promise<void> {
    if (this.#closed) return Promise.reject(new WriterClosedError("the capture writer is closed; create a new one"));
    if (this.#failure) return Promise.reject(this.#failure);
    let data: Uint8Array;
    try {
      data = encodeSample(sample);
    } catch (error) {
      return Promise.reject(new CaptureError(`sample of ${collector}/${method} is not JSON-serializable`, { cause: error }));
    }
    if (this.#queued === 0) {
      // Fast path: the file and channel exist and no I/O is due, so the message is buffered synchronously.
      const open = this.#files.get(collector);
      const channelId = open?.channels.get(method);
      if (channelId !== undefined) {
        const status = open!.file.addMessage(channelId, open!.sequences[channelId]!++, toLogTime(logTimeMs ?? this.#clock.now()), data);
        if (status === MESSAGE_BUFFERED) return RESOLVED;
        return this.#enqueue(() => this.#afterAppend(open!, status));
      }
    }
    const now = logTimeMs ?? this.#clock.now();
    return this.#enqueue(() => this.#writeSlow(collector, method, data, now));
  }

  flush(): Promise<void> {
    if (this.#closed) return this.#closing ?? RESOLVED;
    return this.#enqueue(() => this.#flushAndRotate());
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#closing = this.#enqueue(async () => {
      for (const open of [...this.#files.values()]) await this.#finish(open);
      if (this.#failure) throw this.#failure;
    });
    return this.#closing;
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    this.#queued++;
    const run = this.#queue.then(task).finally(() => {
      this.#queued--;
    });
    // The queue continues after a failed task; the failure reaches the caller of that task.
    this.#queue = run.catch(() => {});
    return run;
  }

  #scheduleTick(): void {
    if (this.#tickPending || this.#closed) return;
    this.#tickPending = true;
    this.#enqueue(async () => {
      this.#tickPending = false;
      await this.#flushAndRotate();
    }).catch((error: unknown) => {
      // A background flush failure is reported now and rejects the next write, flush or close.
      this.#failure ??= asError(error);
      this.#onEvent({ type: "error", error: asError(error) });
    });
  }

  /** Finishes the files that reached `maxFileAgeMs`, then flushes the others. */
  async #flushAndRotate(): Promise<void> {
    const now = this.#clock.now();
    for (const open of [...this.#files.values()]) {
      if (now - open.openedAtMs >= this.#maxFileAgeMs) await this.#finish(open);
    }
    await this.#flushAll();
  }

  async #flushAll(): Promise<void> {
    let chunks = 0;
    for (const open of this.#files.values()) {
      if (!open.file.hasBufferedMessages) continue;
      await this.#io(open, "flush", async () => {
        await open.file.flushChunk();
        await open.file.sync();
        if (!open.nameSynced) {
          // The first flush also makes the file's directory entry durable, so its chunks cannot vanish with it.
          await syncDirectory(this.dir);
          open.nameSynced = true;
        }
      });
      chunks++;
    }
    if (chunks > 0) this.#onEvent({ type: "flushed", chunks });
  }

  async #afterAppend(open: OpenFile, status: AppendStatus): Promise<void> {
    if (status === FILE_FULL) await this.#finish(open);
    else if (status === CHUNK_FULL) await this.#io(open, "write", () => open.file.flushChunk());
  }

  async #writeSlow(collector: string, method: string, data: Uint8Array, logTimeMs: number): Promise<void> {
    if (this.#closed) throw new WriterClosedError("the capture writer is closed; create a new one");
    let open = this.#files.get(collector);
    if (open && this.#clock.now() - open.openedAtMs >= this.#maxFileAgeMs) {
      await this.#finish(open);
      open = undefined;
    }
    open ??= await this.#openFile(collector);
    let channelId = open.channels.get(method);
    if (channelId === undefined) {
      if (typeof method !== "string" || method.length === 0 || method.length > 128) {
        throw new InvalidOptionsError(`method must be a non-empty string of at most 128 characters`);
      }
      channelId = open.file.addChannel(
        { name: `${collector}.${method}`, encoding: "jsonschema", data: JSON_SCHEMA },
        { topic: `/${collector}/${method}`, messageEncoding: "json", metadata: new Map() },
      );
      open.channels.set(method, channelId);
      open.sequences[channelId] = 0;
    }
    const status = open.file.addMessage(channelId, open.sequences[channelId]!++, toLogTime(logTimeMs), data);
    await this.#afterAppend(open, status);
  }

  async #openFile(collector: string): Promise<OpenFile> {
    if (!isValidCollectorName(collector)) {
      throw new InvalidOptionsError(
        `collector name "${collector}" is invalid: use 1 to 64 of A-Z a-z 0-9 and "-", not starting with "-"`,
      );
    }
    await this.#checkDisk();
    if (!this.#sequencesScanned) await this.#scanSequences();
    const sequence = this.#nextSequence.get(collector) ?? 1;
    this.#nextSequence.set(collector, sequence + 1);
    const openedAtMs = this.#clock.now();
    const name = formatCaptureFileName({ collector, startedAtMs: openedAtMs, sequence, finished: false });
    let handle: FileHandle | undefined;
    try {
      handle = await open(join(this.dir, name), "wx");
      this.#compressor ??= loadChunkCompressor(this.#compression);
      const compress = await this.#compressor;
      const file = await McapCaptureFile.start(handle, {
        chunkBytes: this.#chunkBytes,
        fullBytes: this.#maxFileBytes,
        ...(compress ? { compress } : {}),
      });
      const opened: OpenFile = { collector, name, handle, file, openedAtMs, channels: new Map(), sequences: [], nameSynced: false };
      this.#files.set(collector, opened);
      this.#onEvent({ type: "file-opened", file: name });
      return opened;
    } catch (error) {
      await handle?.close();
      throw new CaptureFileError(`could not create capture file ${join(this.dir, name)}: ${asError(error).message}`, {
        cause: error,
      });
    }
  }

  async #scanSequences(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const file of await readdir(this.dir)) {
      const parsed = parseCaptureFileName(file);
      if (!parsed) continue;
      const next = this.#nextSequence.get(parsed.collector) ?? 1;
      this.#nextSequence.set(parsed.collector, Math.max(next, parsed.sequence + 1));
    }
    this.#sequencesScanned = true;
  }

  async #checkDisk(): Promise<void> {
    const disk = this.#disk;
    if (!disk) return;
    const now = this.#clock.now();
    if (this.#paused && now - this.#lastDiskCheckMs < this.#flushIntervalMs) {
      throw new DiskFullError(`capture is paused: free space is below ${disk.minFreeBytes} bytes in ${this.dir}`);
    }
    this.#lastDiskCheckMs = now;
    await mkdir(this.dir, { recursive: true });
    const free = await (disk.freeBytes ?? statfsFreeBytes)(this.dir);
    if (free >= disk.minFreeBytes) {
      if (this.#paused) {
        this.#paused = false;
        this.#onEvent({ type: "resumed", freeBytes: free });
      }
      return;
    }
    this.#onEvent({ type: "disk-low", freeBytes: free, minFreeBytes: disk.minFreeBytes });
    if (disk.policy === "pause") {
      if (!this.#paused) {
        this.#paused = true;
        this.#onEvent({ type: "paused", freeBytes: free });
      }
      throw new DiskFullError(
        `capture is paused: ${free} bytes free in ${this.dir}, below the ${disk.minFreeBytes}-byte threshold; free space to resume`,
      );
    }
    await deleteEveryNthFinishedFile(this.dir, disk.policy.deleteEveryNth, free, this.#onEvent);
  }

  async #finish(open: OpenFile): Promise<void> {
    this.#files.delete(open.collector);
    const finalName = open.name.slice(0, -".part".length);
    await this.#io(open, "finish", async () => {
      try {
        await open.file.end();
        await open.handle.sync();
      } finally {
        await open.handle.close();
      }
      await rename(join(this.dir, open.name), join(this.dir, finalName));
      await syncDirectory(this.dir);
    });
    this.#onEvent({ type: "file-finished", file: finalName, messages: open.file.messageCount, bytes: open.file.size });
  }

  async #io(open: OpenFile, what: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      if (error instanceof CaptureError) throw error;
      throw new CaptureFileError(`could not ${what} capture file ${join(this.dir, open.name)}: ${asError(error).message}`, {
        cause: error,
      });
    }
  }
}

/**
 * Creates a capture writer over `dir`. Run `recoverCaptureDir(dir)` first after a crash.
 * Durability: a `kill -9` or power cut loses at most the messages written in the last `flushIntervalMs`;
 * a `.mcap` file is complete and never modified again.
 *
 * @example
 * ```ts
 * const writer = createCaptureWriter({ dir: "/var/lib/deckhand/capture", maxFileBytes: 8 << 20, flushIntervalMs: 500 });
 * await writer.write("temp-module", "M105", { currentC: 25.1, targetC: 4 });
 * await writer.close();
 * ```
 */
export function createCaptureWriter(options: CaptureWriterOptions): CaptureWriter {
  return new FileCaptureWriter(options);
}
