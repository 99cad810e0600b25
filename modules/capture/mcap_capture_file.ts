/**
 * One capture file being written: a chunked, CRC-checked MCAP file whose current chunk can be ended on demand,
 * so a flush puts every message written so far into complete chunks on disk. `@mcap/core`'s `McapWriter` only
 * ends a chunk when it outgrows `chunkSize`, so this file builds chunks with `@mcap/core`'s record and chunk
 * builders and writes the same summary section (`McapWriter.end`) when the file is finished.
 *
 * A failed write never leaves a broken file: the file is truncated back to the end of its last complete chunk (or,
 * when an fsync failed, of its last synced chunk), the failed chunk's messages are dropped and counted in a
 * `WriteFailedError`, and the writer goes on from there as if they had never been added.
 *
 * @module
 */
import type { CaptureFileHandle } from "./capture_file_system.ts";
import { WriteFailedError } from "./errors.ts";
import { crc32, crc32Final, crc32Init, crc32Update } from "@foxglove/crc";
import { McapChunkBuilder, McapRecordBuilder, Opcode } from "@mcap/core";
import type { Channel, ChunkIndex, Schema, Statistics, SummaryOffset } from "@mcap/core";

/** What `McapCaptureFile.addMessage` found due after buffering a message. */
export type AppendStatus = 0 | 1 | 2;
/** The message is buffered; nothing is due. */
export const MESSAGE_BUFFERED: AppendStatus = 0;
/** The open chunk reached its size: write it with `flushChunk()`. */
export const CHUNK_FULL: AppendStatus = 1;
/** The file reached its size limit: finish it. */
export const FILE_FULL: AppendStatus = 2;

/** Turns a chunk's records into compressed bytes; absent means chunks are stored uncompressed. */
export type ChunkCompressor = (data: Uint8Array) => { compression: string; compressedData: Uint8Array };

/** The state of the file at the end of a complete chunk: where a failed write rolls back to. */
interface Checkpoint {
  readonly position: number;
  readonly dataCrc: number;
  readonly chunkIndexes: number;
  readonly statistics: Statistics;
  readonly writtenChannels: ReadonlySet<number>;
}

function copyStatistics(s: Statistics): Statistics {
  return { ...s, channelMessageCounts: new Map(s.channelMessageCounts) };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Writes an MCAP file into an open file handle, ending chunks on `flushChunk()` and indexing on `end()`. */
export class McapCaptureFile {
  readonly #file: CaptureFileHandle;
  readonly #label: string;
  readonly #chunkBytes: number;
  readonly #fullBytes: number;
  readonly #compress: ChunkCompressor | undefined;
  readonly #records = new McapRecordBuilder();
  readonly #chunk = new McapChunkBuilder({ useMessageIndex: true });
  readonly #schemas: Schema[] = [];
  readonly #channels: Channel[] = [];
  #chunkIndexes: ChunkIndex[] = [];
  /** Channels whose schema and channel records are in a complete chunk in the file. */
  #writtenChannels = new Set<number>();
  /** Channels whose records travel in the open chunk. */
  readonly #chunkChannels = new Set<number>();
  /** Messages per channel in the open chunk. */
  readonly #chunkCounts = new Map<number, bigint>();
  /** Statistics of the complete chunks in the file (the open chunk is merged in when it is written). */
  #statistics: Statistics = {
    messageCount: 0n,
    schemaCount: 0,
    channelCount: 0,
    attachmentCount: 0,
    metadataCount: 0,
    chunkCount: 0,
    messageStartTime: 0n,
    messageEndTime: 0n,
    channelMessageCounts: new Map(),
  };
  #position = 0;
  #dataCrc = crc32Init();
  #synced: Checkpoint;
  #ended = false;
  #broken = false;

  private constructor(
    file: CaptureFileHandle,
    label: string,
    chunkBytes: number,
    fullBytes: number,
    compress: ChunkCompressor | undefined,
  ) {
    this.#file = file;
    this.#label = label;
    this.#chunkBytes = chunkBytes;
    this.#fullBytes = fullBytes;
    this.#compress = compress;
    this.#synced = this.#checkpoint();
  }

  /**
   * Writes the magic and header into `file` (an empty file opened for writing) and returns the writer.
   * `fullBytes` is the size at which `addMessage` reports the file full (default: never); `label` names the
   * file in error messages.
   */
  static async start(
    file: CaptureFileHandle,
    options: { chunkBytes: number; fullBytes?: number; compress?: ChunkCompressor; profile?: string; label?: string },
  ): Promise<McapCaptureFile> {
    const writer = new McapCaptureFile(
      file,
      options.label ?? "capture file",
      options.chunkBytes,
      options.fullBytes ?? Number.POSITIVE_INFINITY,
      options.compress,
    );
    writer.#records.writeMagic();
    writer.#records.writeHeader({ profile: options.profile ?? "", library: "@deckhand/capture" });
    const header = writer.#records.buffer;
    await writer.#writeAt(header, 0);
    writer.#dataCrc = crc32Update(writer.#dataCrc, header);
    writer.#position = header.byteLength;
    writer.#records.reset();
    writer.#synced = writer.#checkpoint();
    return writer;
  }

  /** Bytes written to the file so far plus the bytes buffered in the open chunk. */
  get size(): number {
    return this.#position + this.#chunk.byteLength;
  }

  /** Messages in this file so far (in complete chunks or buffered). */
  get messageCount(): number {
    return Number(this.#statistics.messageCount) + this.#chunk.numMessages;
  }

  /** True when the open chunk holds messages that are not yet on disk. */
  get hasBufferedMessages(): boolean {
    return this.#chunk.numMessages > 0;
  }

  /** True when complete chunks were written since the last successful `sync()`. */
  get hasUnsyncedChunks(): boolean {
    return this.#position !== this.#synced.position;
  }

  /** True once `end()` succeeded: the file is complete and takes nothing more. */
  get ended(): boolean {
    return this.#ended;
  }

  /** True when a rollback itself failed: the file's tail is unknown; abandon it (recovery will read it). */
  get broken(): boolean {
    return this.#broken;
  }

  /**
   * Registers a channel (with its schema, or none for schemaless JSON) and returns its id; its records go into
   * the next chunk that holds one of its messages.
   */
  addChannel(schema: Omit<Schema, "id"> | undefined, channel: Omit<Channel, "id" | "schemaId">): number {
    let schemaId = 0;
    if (schema) {
      schemaId = this.#schemas.length + 1;
      this.#schemas.push({ ...schema, id: schemaId });
    }
    const channelRecord: Channel = { ...channel, id: this.#channels.length, schemaId };
    this.#channels.push(channelRecord);
    return channelRecord.id;
  }

  /**
   * Buffers one message in the open chunk (synchronously, so the hot path allocates no promise) and says what is
   * due: `MESSAGE_BUFFERED`, `CHUNK_FULL` (write it with `flushChunk()`) or `FILE_FULL` (the file reached `fullBytes`).
   */
  addMessage(channelId: number, sequence: number, logTime: bigint, data: Uint8Array): AppendStatus {
    if (!this.#writtenChannels.has(channelId) && !this.#chunkChannels.has(channelId)) {
      // Schema and channel travel inside the chunk that first uses them, so every intact chunk prefix
      // of a torn file is self-describing for recovery (and a dropped chunk takes them along, to be resent).
      const channel = this.#channels[channelId]!;
      if (channel.schemaId !== 0) this.#chunk.addSchema(this.#schemas[channel.schemaId - 1]!);
      this.#chunk.addChannel(channel);
      this.#chunkChannels.add(channelId);
    }
    this.#chunkCounts.set(channelId, (this.#chunkCounts.get(channelId) ?? 0n) + 1n);
    this.#chunk.addMessage({ channelId, sequence, logTime, publishTime: logTime, data });
    const chunkLength = this.#chunk.byteLength;
    if (this.#position + chunkLength >= this.#fullBytes) return FILE_FULL;
    return chunkLength >= this.#chunkBytes ? CHUNK_FULL : MESSAGE_BUFFERED;
  }

  /**
   * Ends the open chunk: writes it (with its CRC) and its message indexes to the file. No-op when empty.
   * On failure the file is truncated back to where the chunk started, the chunk is dropped, and a
   * `WriteFailedError` says how many messages it held.
   */
  async flushChunk(): Promise<void> {
    if (this.#chunk.numMessages === 0) return;
    this.#assertUsable();
    const chunkData = this.#chunk.buffer;
    const uncompressedCrc = crc32(chunkData);
    const { compression, compressedData } = this.#compress
      ? this.#compress(chunkData)
      : { compression: "", compressedData: chunkData };
    const chunkStartOffset = BigInt(this.#position);
    const chunkLength = this.#records.writeChunk({
      messageStartTime: this.#chunk.messageStartTime,
      messageEndTime: this.#chunk.messageEndTime,
      uncompressedSize: BigInt(chunkData.byteLength),
      uncompressedCrc,
      compression,
      records: compressedData,
    });
    const messageIndexStart = BigInt(this.#position) + chunkLength;
    let messageIndexLength = 0n;
    const messageIndexOffsets = new Map<number, bigint>();
    for (const index of this.#chunk.indices) {
      messageIndexOffsets.set(index.channelId, messageIndexStart + messageIndexLength);
      messageIndexLength += this.#records.writeMessageIndex(index);
    }
    const buffer = this.#records.buffer;
    try {
      await this.#writeAt(buffer, this.#position);
    } catch (error) {
      const lost = this.#chunk.numMessages;
      this.#dropChunk();
      await this.#rollback(this.#position, lost, error);
    }
    this.#chunkIndexes.push({
      messageStartTime: this.#chunk.messageStartTime,
      messageEndTime: this.#chunk.messageEndTime,
      chunkStartOffset,
      chunkLength,
      messageIndexOffsets,
      messageIndexLength,
      compression,
      compressedSize: BigInt(compressedData.byteLength),
      uncompressedSize: BigInt(chunkData.byteLength),
    });
    const stats = this.#statistics;
    if (stats.messageCount === 0n || this.#chunk.messageStartTime < stats.messageStartTime) {
      stats.messageStartTime = this.#chunk.messageStartTime;
    }
    if (stats.messageCount === 0n || this.#chunk.messageEndTime > stats.messageEndTime) {
      stats.messageEndTime = this.#chunk.messageEndTime;
    }
    stats.messageCount += BigInt(this.#chunk.numMessages);
    for (const [channelId, count] of this.#chunkCounts) {
      stats.channelMessageCounts.set(channelId, (stats.channelMessageCounts.get(channelId) ?? 0n) + count);
    }
    for (const channelId of this.#chunkChannels) {
      this.#writtenChannels.add(channelId);
      stats.channelCount++;
      if (this.#channels[channelId]!.schemaId !== 0) stats.schemaCount++;
    }
    stats.chunkCount++;
    this.#dataCrc = crc32Update(this.#dataCrc, buffer);
    this.#position += buffer.byteLength;
    this.#dropChunk();
  }

  /**
   * Flushes to the disk itself (`fdatasync`), so what was written survives a power cut, not only a crash.
   * If that fails, the chunks written since the last successful sync may not be on disk: the file is truncated
   * back to that point and a `WriteFailedError` counts their messages.
   */
  async sync(): Promise<void> {
    this.#assertUsable();
    try {
      await this.#file.datasync();
    } catch (error) {
      const synced = this.#synced;
      const lost = Number(this.#statistics.messageCount - synced.statistics.messageCount);
      this.#position = synced.position;
      this.#dataCrc = synced.dataCrc;
      this.#chunkIndexes = this.#chunkIndexes.slice(0, synced.chunkIndexes);
      this.#statistics = copyStatistics(synced.statistics);
      this.#writtenChannels = new Set(synced.writtenChannels);
      await this.#rollback(synced.position, lost, error);
    }
    this.#synced = this.#checkpoint();
  }

  /**
   * Ends the last chunk and writes DataEnd, the summary (schemas, channels, statistics, chunk indexes) and footer.
   * On failure the file is rolled back to its last complete chunk and stays open: `end()` can be retried.
   */
  async end(): Promise<void> {
    await this.flushChunk();
    this.#assertUsable();
    const records = this.#records;
    records.writeDataEnd({ dataSectionCrc: crc32Final(this.#dataCrc) });
    const summaryStart = BigInt(this.#position + records.length);
    const offsets: SummaryOffset[] = [];
    const group = (opcode: number, write: () => bigint): void => {
      const groupStart = BigInt(this.#position + records.length);
      const groupLength = write();
      if (groupLength > 0n) offsets.push({ groupOpcode: opcode, groupStart, groupLength });
    };
    const written = (s: { id: number }): boolean => this.#writtenChannels.has(s.id);
    const channels = this.#channels.filter(written);
    const schemaIds = new Set(channels.map((c) => c.schemaId));
    group(Opcode.SCHEMA, () => this.#schemas.filter((s) => schemaIds.has(s.id)).reduce((n, s) => n + records.writeSchema(s), 0n));
    group(Opcode.CHANNEL, () => channels.reduce((n, c) => n + records.writeChannel(c), 0n));
    group(Opcode.STATISTICS, () => records.writeStatistics(this.#statistics));
    group(Opcode.CHUNK_INDEX, () => this.#chunkIndexes.reduce((n, c) => n + records.writeChunkIndex(c), 0n));
    const summaryOffsetStart = BigInt(this.#position + records.length);
    for (const offset of offsets) records.writeSummaryOffset(offset);
    // The summary CRC covers the summary section and the footer up to (not including) the CRC field.
    const dataEndLength = Number(summaryStart) - this.#position;
    let summaryCrc = crc32Update(crc32Init(), records.buffer.subarray(dataEndLength));
    const footerPrefix = new DataView(new ArrayBuffer(1 + 8 + 8 + 8));
    footerPrefix.setUint8(0, Opcode.FOOTER);
    footerPrefix.setBigUint64(1, 8n + 8n + 4n, true);
    footerPrefix.setBigUint64(9, summaryStart, true);
    footerPrefix.setBigUint64(17, summaryOffsetStart, true);
    summaryCrc = crc32Update(summaryCrc, footerPrefix);
    records.writeFooter({ summaryStart, summaryOffsetStart, summaryCrc: crc32Final(summaryCrc) });
    records.writeMagic();
    const buffer = records.buffer;
    try {
      await this.#writeAt(buffer, this.#position);
    } catch (error) {
      records.reset();
      await this.#rollback(this.#position, 0, error);
    }
    records.reset();
    this.#position += buffer.byteLength;
    this.#ended = true;
  }

  #checkpoint(): Checkpoint {
    return {
      position: this.#position,
      dataCrc: this.#dataCrc,
      chunkIndexes: this.#chunkIndexes.length,
      statistics: copyStatistics(this.#statistics),
      writtenChannels: new Set(this.#writtenChannels),
    };
  }

  #dropChunk(): void {
    this.#chunk.reset();
    this.#records.reset();
    this.#chunkChannels.clear();
    this.#chunkCounts.clear();
  }

  #assertUsable(): void {
    if (this.#broken) throw new WriteFailedError(`${this.#label} is abandoned after a failed rollback`, 0);
    if (this.#ended) throw new WriteFailedError(`${this.#label} is already finished`, 0);
  }

  /** Truncates the file to `position` after a failed write and throws the `WriteFailedError` for it. */
  async #rollback(position: number, lostMessages: number, cause: unknown): Promise<never> {
    try {
      await this.#file.truncate(position);
    } catch (truncateError) {
      this.#broken = true;
      throw new WriteFailedError(
        `could not write ${this.#label} (${describe(cause)}), nor roll it back (${describe(truncateError)}); ` +
          `${lostMessages} message(s) are not stored and the file is abandoned to recovery`,
        lostMessages,
        { cause },
      );
    }
    throw new WriteFailedError(
      `could not write ${this.#label}: ${describe(cause)}; it was rolled back to its last complete chunk ` +
        `(${position} bytes) and ${lostMessages} message(s) are not stored`,
      lostMessages,
      { cause },
    );
  }

  async #writeAt(buffer: Uint8Array, position: number): Promise<void> {
    let offset = 0;
    while (offset < buffer.byteLength) {
      const { bytesWritten } = await this.#file.write(buffer, offset, buffer.byteLength - offset, position + offset);
      offset += bytesWritten;
    }
  }
}
