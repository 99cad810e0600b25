/**
 * The capture writer: appends samples to one MCAP file per collector (a schema and channel per collector and
 * method), rotates files by size and age, flushes complete chunks every `flushIntervalMs`, and applies the disk
 * policy before each new file.
 *
 * @module
 */
import { mkdir, readdir, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { CaptureEvent } from "./capture_event.ts";
import { formatCaptureFileName, isValidCollectorName, parseCaptureFileName } from "./capture_file_name.ts";
import { systemClock } from "./clock.ts";
import type { Clock } from "./clock.ts";
import { DiskGuard } from "./disk_policy.ts";
import type { DiskPolicy } from "./disk_policy.ts";
import {
  CaptureError,
  CaptureFileError,
  InvalidLogTimeError,
  InvalidOptionsError,
  WriterClosedError,
} from "./errors.ts";
import { syncDirectory } from "./sync_directory.ts";
import { CHUNK_FULL, FILE_FULL, MESSAGE_BUFFERED, McapCaptureFile } from "./mcap_capture_file.ts";
import type { AppendStatus, ChunkCompressor } from "./mcap_capture_file.ts";
import { isChunkCompression, loadChunkCompressor } from "./chunk_compression.ts";
import type { ChunkCompression } from "./chunk_compression.ts";
import { nodeFileSystem } from "./capture_file_system.ts";
import type { CaptureFileHandle, CaptureFileSystem } from "./capture_file_system.ts";
import { ChannelSchemas } from "./sample_schema.ts";
import type { JsonSchemaObject } from "./sample_schema.ts";

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
  /** What to do when free space is low; checked before each new file and at every flush. Default: no check. */
  readonly disk?: DiskPolicy;
  /** Where capture files are created; inject one to simulate failing disks. Default `nodeFileSystem`. */
  readonly fileSystem?: CaptureFileSystem;
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
   * `logTimeMs` (epoch ms, finite, >= 0, else `InvalidLogTimeError`) defaults to `clock.now()`; per channel it
   * never goes back: a time before the channel's last one (the wall clock stepped back) is written as the last one.
   * Resolves once the message is buffered (durable at the next successful flush). Rejects with
   * `WriteFailedError` when this write ended a chunk that could not be written: the chunk, this sample
   * included, is not in the file.
   */
  write(collector: string, method: string, sample: unknown, logTimeMs?: number): Promise<void>;
  /**
   * Declares the JSON Schema of a channel's samples (`type: "object"`, typed properties), stored with the channel
   * in every file from the next one that opens the channel; `name` is the MCAP schema name (default
   * `<collector>.<method>`; `"foxglove.Log"` for Foxglove's log schema). Without it the schema is inferred from
   * the channel's first sample.
   */
  declareSchema(collector: string, method: string, schema: JsonSchemaObject, name?: string): void;
  /**
   * Writes every buffered message as complete chunks and fsyncs them; what was written before is then on disk.
   * Rejects with `WriteFailedError` (`lostMessages`) if a chunk written since the last `flush()` (by it or in the
   * background) failed: those messages are not stored.
   */
  flush(): Promise<void>;
  /**
   * Finishes every open file (indexed, fsynced, renamed to `.mcap`) after every write issued before it, and stops
   * the flush timer, which keeps the process alive until then. Idempotent. A file that cannot be finished stays
   * `.mcap.part` for `recoverCaptureDir`, and `close()` rejects.
   */
  close(): Promise<void>;
}

interface OpenFile {
  readonly collector: string;
  readonly name: string;
  readonly handle: CaptureFileHandle;
  readonly file: McapCaptureFile;
  /** `clock.now()` when it was opened (its age is measured from it; the name may carry a later time). */
  readonly openedAtMs: number;
  readonly channels: Map<string, number>;
  readonly sequences: number[];
  /** The last log time (ms) written per channel id, shared with the writer so it survives rotation. */
  readonly lastLogTimes: Map<string, number>;
  /** Whether the directory was fsynced since this file was created (done at its first flush). */
  nameSynced: boolean;
}

const RESOLVED: Promise<void> = Promise.resolve();
const encoder = new TextEncoder();

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

function validLogTime(ms: unknown): ms is number {
  return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 && ms < 8.64e15;
}

function clockOf(options: CaptureWriterOptions): Clock {
  return options.clock ?? systemClock;
}

function onEventOf(options: CaptureWriterOptions): (event: CaptureEvent) => void {
  return options.onEvent ?? (() => {});
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
  readonly #disk: DiskGuard | undefined;
  readonly #fileSystem: CaptureFileSystem;
  readonly #onEvent: (event: CaptureEvent) => void;
  readonly #files = new Map<string, OpenFile>();
  readonly #nextSequence = new Map<string, number>();
  /** The latest file-name time per collector, so names stay ordered when the wall clock steps back. */
  readonly #lastStartedAt = new Map<string, number>();
  /** Per collector, the last log time per method. */
  readonly #lastLogTimes = new Map<string, Map<string, number>>();
  /** Declared or inferred schemas per `<collector>/<method>`; `null` means schemaless JSON. */
  readonly #schemas: ChannelSchemas;
  #sequencesScanned = false;
  #queue: Promise<void> = RESOLVED;
  #queued = 0;
  #tickPending = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** A background flush failure not yet reported to a `flush()` or `close()` caller. */
  #unreported: Error | undefined;

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
    this.#disk = options.disk ? new DiskGuard(options.dir, options.disk, this.#flushIntervalMs, clockOf(options), onEventOf(options)) : undefined;
    if (options.fileSystem !== undefined && typeof options.fileSystem?.create !== "function") {
      throw new InvalidOptionsError("fileSystem must have a create(path) method");
    }
    this.#fileSystem = options.fileSystem ?? nodeFileSystem;
    this.#clock = clockOf(options);
    this.#onEvent = onEventOf(options);
    this.#schemas = new ChannelSchemas(this.#onEvent);
    // The timer keeps the process alive until close(), like an open file stream: buffered data needs it.
    this.#timer = setInterval(() => this.#scheduleTick(), this.#flushIntervalMs);
  }

  write(collector: string, method: string, sample: unknown, logTimeMs?: number): Promise<void> {
    if (this.#closed) return Promise.reject(new WriterClosedError("the capture writer is closed; create a new one"));
    const time = logTimeMs ?? this.#clock.now();
    if (!validLogTime(time)) {
      return Promise.reject(
        new InvalidLogTimeError(`log time of ${collector}/${method} must be finite epoch milliseconds >= 0, got ${String(time)}`),
      );
    }
    let data: Uint8Array;
    try {
      data = encodeSample(sample);
    } catch (error) {
      return Promise.reject(new CaptureError(`sample of ${collector}/${method} is not JSON-serializable`, { cause: error }));
    }
    if (this.#queued === 0 && !this.#disk?.paused) {
      // Fast path: the file and channel exist and no I/O is due, so the message is buffered synchronously.
      const open = this.#files.get(collector);
      const channelId = open?.channels.get(method);
      if (channelId !== undefined) {
        const status = this.#append(open!, method, channelId, time, data);
        if (status === MESSAGE_BUFFERED) return RESOLVED;
        return this.#enqueue(() => this.#afterAppend(open!, status));
      }
    }
    return this.#enqueue(() => this.#writeSlow(collector, method, sample, data, time));
  }

  declareSchema(collector: string, method: string, schema: JsonSchemaObject, name?: string): void {
    this.#schemas.declare(collector, method, schema, name);
  }

  flush(): Promise<void> {
    if (this.#closed) return this.#closing ?? RESOLVED;
    return this.#enqueue(async () => {
      await this.#flushAndRotate();
      const unreported = this.#unreported;
      this.#unreported = undefined;
      if (unreported) throw unreported;
    });
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    clearInterval(this.#timer);
    // Queued after every write issued before close(), so those are written and flushed first.
    this.#closing = this.#enqueue(async () => {
      let failure = this.#unreported;
      this.#unreported = undefined;
      for (const open of [...this.#files.values()]) {
        try {
          await this.#finish(open);
        } catch (error) {
          failure ??= asError(error);
          if (this.#files.get(open.collector) === open) await this.#abandon(open, asError(error));
        }
      }
      if (failure) throw failure;
    });
    return this.#closing;
  }

  #append(open: OpenFile, method: string, channelId: number, timeMs: number, data: Uint8Array): AppendStatus {
    // Log times never go back on a channel: after a backward wall-clock step they hold at the last time.
    const last = open.lastLogTimes.get(method);
    const time = last !== undefined && timeMs < last ? last : timeMs;
    open.lastLogTimes.set(method, time);
    return open.file.addMessage(channelId, open.sequences[channelId]!++, toLogTime(time), data);
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
      // Reported now, and to the next flush() or close() caller; later writes go on (into a rolled-back file).
      this.#unreported ??= asError(error);
      this.#onEvent({ type: "error", error: asError(error) });
    });
  }

  /** Applies the disk policy, finishes the files that reached `maxFileAgeMs`, then flushes the others. */
  async #flushAndRotate(): Promise<void> {
    if (this.#disk) {
      try {
        await this.#disk.probe();
      } catch (error) {
        // A failed probe must not keep buffered messages from their flush; it is reported, not hidden.
        this.#onEvent({ type: "error", error: asError(error) });
      }
    }
    const now = this.#clock.now();
    let failure: Error | undefined;
    for (const open of [...this.#files.values()]) {
      // A file opened "in the future" (the clock stepped back since) is finished too, so ages stay meaningful.
      if (now - open.openedAtMs >= this.#maxFileAgeMs || now < open.openedAtMs) {
        try {
          await this.#finish(open);
        } catch (error) {
          failure ??= asError(error);
        }
      }
    }
    try {
      await this.#flushAll();
    } catch (error) {
      failure ??= asError(error);
    }
    if (failure) throw failure;
  }

  async #flushAll(): Promise<void> {
    let chunks = 0;
    let failure: Error | undefined;
    for (const open of [...this.#files.values()]) {
      // Chunks written early (chunk full) are synced here too, even when nothing is buffered now.
      if (!open.file.hasBufferedMessages && !open.file.hasUnsyncedChunks) continue;
      try {
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
      } catch (error) {
        // One collector's failed file does not keep the others from flushing.
        failure ??= asError(error);
      }
    }
    if (chunks > 0) this.#onEvent({ type: "flushed", chunks });
    if (failure) throw failure;
  }

  async #afterAppend(open: OpenFile, status: AppendStatus): Promise<void> {
    if (status === MESSAGE_BUFFERED) return;
    // The chunk holding this write's sample decides the write's fate: it rejects exactly when the sample is not stored.
    await this.#io(open, "write", () => open.file.flushChunk());
    if (status === FILE_FULL) {
      try {
        await this.#finish(open);
      } catch (error) {
        // The sample is stored; the file is finished later (or recovered). Reported now and to the next flush().
        this.#unreported ??= asError(error);
        this.#onEvent({ type: "error", error: asError(error) });
      }
    }
  }

  async #writeSlow(collector: string, method: string, sample: unknown, data: Uint8Array, logTimeMs: number): Promise<void> {
    if (this.#disk?.paused) await this.#disk.admit();
    let open = this.#files.get(collector);
    const now = this.#clock.now();
    if (open && (now - open.openedAtMs >= this.#maxFileAgeMs || now < open.openedAtMs)) {
      await this.#finish(open);
      open = undefined;
    }
    open ??= await this.#openFile(collector);
    let channelId = open.channels.get(method);
    if (channelId === undefined) {
      if (typeof method !== "string" || method.length === 0 || method.length > 128) {
        throw new InvalidOptionsError(`method must be a non-empty string of at most 128 characters`);
      }
      const schema = this.#schemas.of(collector, method, sample);
      channelId = open.file.addChannel(
        schema ? { name: schema.name, encoding: "jsonschema", data: encoder.encode(JSON.stringify(schema.schema)) } : undefined,
        { topic: `/${collector}/${method}`, messageEncoding: "json", metadata: new Map() },
      );
      open.channels.set(method, channelId);
      open.sequences[channelId] = 0;
    }
    const status = this.#append(open, method, channelId, logTimeMs, data);
    await this.#afterAppend(open, status);
  }

  async #openFile(collector: string): Promise<OpenFile> {
    if (!isValidCollectorName(collector)) {
      throw new InvalidOptionsError(
        `collector name "${collector}" is invalid: use 1 to 64 of A-Z a-z 0-9 and "-", not starting with "-"`,
      );
    }
    await this.#disk?.admit();
    if (!this.#sequencesScanned) await this.#scanSequences();
    const openedAtMs = this.#clock.now();
    // Names sort by time then sequence: after a backward clock step the name keeps the latest time used.
    const startedAtMs = Math.max(openedAtMs, this.#lastStartedAt.get(collector) ?? 0);
    this.#lastStartedAt.set(collector, startedAtMs);
    let name = "";
    let path = "";
    let handle: CaptureFileHandle | undefined;
    try {
      // A name can already be taken when another writer (a restarted process, a second writer on the same
      // directory) opened a file for this collector in the same millisecond: the next sequence number is free.
      for (let attempt = 0; handle === undefined; attempt++) {
        const sequence = this.#nextSequence.get(collector) ?? 1;
        this.#nextSequence.set(collector, sequence + 1);
        name = formatCaptureFileName({ collector, startedAtMs, sequence, finished: false });
        path = join(this.dir, name);
        try {
          handle = await this.#fileSystem.create(path);
        } catch (error) {
          if ((error as { code?: unknown }).code !== "EEXIST" || attempt >= 100) throw error;
        }
      }
      this.#compressor ??= loadChunkCompressor(this.#compression);
      const compress = await this.#compressor;
      const file = await McapCaptureFile.start(handle, {
        chunkBytes: this.#chunkBytes,
        fullBytes: this.#maxFileBytes,
        label: `capture file ${path}`,
        ...(compress ? { compress } : {}),
      });
      let lastLogTimes = this.#lastLogTimes.get(collector);
      if (!lastLogTimes) this.#lastLogTimes.set(collector, (lastLogTimes = new Map()));
      const opened: OpenFile = {
        collector, name, handle, file, openedAtMs, channels: new Map(), sequences: [], lastLogTimes, nameSynced: false,
      };
      this.#files.set(collector, opened);
      this.#onEvent({ type: "file-opened", file: name });
      return opened;
    } catch (error) {
      if (handle) {
        // The file holds no message (at most a torn header): it goes, so no empty .part is left behind.
        await handle.close();
        await unlink(path);
      }
      throw new CaptureFileError(`could not create capture file ${path}: ${asError(error).message}`, { cause: error });
    }
  }

  async #scanSequences(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const file of await readdir(this.dir)) {
      const parsed = parseCaptureFileName(file);
      if (!parsed) continue;
      const next = this.#nextSequence.get(parsed.collector) ?? 1;
      this.#nextSequence.set(parsed.collector, Math.max(next, parsed.sequence + 1));
      const last = this.#lastStartedAt.get(parsed.collector) ?? 0;
      this.#lastStartedAt.set(parsed.collector, Math.max(last, parsed.startedAtMs));
    }
    this.#sequencesScanned = true;
  }

  async #finish(open: OpenFile): Promise<void> {
    const finalName = open.name.slice(0, -".part".length);
    if (!open.file.ended) {
      // A failed end() rolled the file back to its last chunk; it stays open and finishing is retried later.
      await this.#io(open, "finish", () => open.file.end());
    }
    this.#files.delete(open.collector);
    await this.#io(open, "finish", async () => {
      try {
        await open.handle.sync();
      } finally {
        await open.handle.close();
      }
      await rename(join(this.dir, open.name), join(this.dir, finalName));
      await syncDirectory(this.dir);
    });
    this.#onEvent({ type: "file-finished", file: finalName, messages: open.file.messageCount, bytes: open.file.size });
  }

  /** Gives up on a file that cannot be written or finished: closed, left as `.part` for `recoverCaptureDir`. */
  async #abandon(open: OpenFile, reason: Error): Promise<void> {
    if (this.#files.get(open.collector) === open) this.#files.delete(open.collector);
    try {
      await open.handle.close();
    } catch (error) {
      this.#onEvent({ type: "error", error: asError(error) });
    }
    this.#onEvent({ type: "file-abandoned", file: open.name, error: reason });
  }

  async #io(open: OpenFile, what: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      // A file whose rollback failed is left to recovery; the next write opens a new one.
      if (open.file.broken && this.#files.get(open.collector) === open) await this.#abandon(open, asError(error));
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
