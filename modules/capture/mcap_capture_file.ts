/**
 * One capture file being written: a chunked, CRC-checked MCAP file whose current chunk can be ended on demand,
 * so a flush puts every message written so far into complete chunks on disk. `@mcap/core`'s `McapWriter` only
 * ends a chunk when it outgrows `chunkSize`, so this file builds chunks with `@mcap/core`'s record and chunk
 * builders and writes the same summary section (`McapWriter.end`) when the file is finished.
 *
 * @module
 */
import type { FileHandle } from "node:fs/promises";
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

/** Writes an MCAP file into an open file handle, ending chunks on `flushChunk()` and indexing on `end()`. */
export class McapCaptureFile {
  readonly #file: FileHandle;
  readonly #chunkBytes: number;
  readonly #fullBytes: number;
  readonly #compress: ChunkCompressor | undefined;
  readonly #records = new McapRecordBuilder();
  readonly #chunk = new McapChunkBuilder({ useMessageIndex: true });
  readonly #schemas: Schema[] = [];
  readonly #channels: Channel[] = [];
  readonly #chunkIndexes: ChunkIndex[] = [];
  readonly #pendingChannels = new Set<number>();
  readonly #statistics: Statistics = {
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

  private constructor(file: FileHandle, chunkBytes: number, fullBytes: number, compress: ChunkCompressor | undefined) {
    this.#file = file;
    this.#chunkBytes = chunkBytes;
    this.#fullBytes = fullBytes;
    this.#compress = compress;
  }

  /**
   * Writes the magic and header into `file` (an empty file opened for writing) and returns the writer.
   * `fullBytes` is the size at which `addMessage` reports the file full (default: never).
   */
  static async start(
    file: FileHandle,
    options: { chunkBytes: number; fullBytes?: number; compress?: ChunkCompressor; profile?: string },
  ): Promise<McapCaptureFile> {
    const writer = new McapCaptureFile(file, options.chunkBytes, options.fullBytes ?? Number.POSITIVE_INFINITY, options.compress);
    writer.#records.writeMagic();
    writer.#records.writeHeader({ profile: options.profile ?? "", library: "@deckhand/capture" });
    await writer.#writeRecords(true);
    return writer;
  }

  /** Bytes written to the file so far plus the bytes buffered in the open chunk. */
  get size(): number {
    return this.#position + this.#chunk.byteLength;
  }

  /** Messages in this file so far (flushed or buffered). */
  get messageCount(): number {
    return Number(this.#statistics.messageCount);
  }

  /** True when the open chunk holds messages that are not yet on disk. */
  get hasBufferedMessages(): boolean {
    return this.#chunk.numMessages > 0;
  }

  /** Registers a channel (with its schema) and returns its id; its records go into the next chunk. */
  addChannel(schema: Omit<Schema, "id">, channel: Omit<Channel, "id" | "schemaId">): number {
    const schemaRecord: Schema = { ...schema, id: this.#schemas.length + 1 };
    const channelRecord: Channel = { ...channel, id: this.#channels.length, schemaId: schemaRecord.id };
    this.#schemas.push(schemaRecord);
    this.#channels.push(channelRecord);
    this.#statistics.schemaCount++;
    this.#statistics.channelCount++;
    this.#pendingChannels.add(channelRecord.id);
    return channelRecord.id;
  }

  /**
   * Buffers one message in the open chunk (synchronously, so the hot path allocates no promise) and says what is
   * due: `MESSAGE_BUFFERED`, `CHUNK_FULL` (write it with `flushChunk()`) or `FILE_FULL` (the file reached `fullBytes`).
   */
  addMessage(channelId: number, sequence: number, logTime: bigint, data: Uint8Array): AppendStatus {
    if (this.#pendingChannels.size > 0 && this.#pendingChannels.has(channelId)) {
      // Schema and channel travel inside the chunk that first uses them, so every intact chunk prefix
      // of a torn file is self-describing for recovery.
      const channel = this.#channels[channelId]!;
      this.#chunk.addSchema(this.#schemas[channel.schemaId - 1]!);
      this.#chunk.addChannel(channel);
      this.#pendingChannels.delete(channelId);
    }
    const stats = this.#statistics;
    if (stats.messageCount === 0n || logTime < stats.messageStartTime) stats.messageStartTime = logTime;
    if (stats.messageCount === 0n || logTime > stats.messageEndTime) stats.messageEndTime = logTime;
    stats.messageCount++;
    stats.channelMessageCounts.set(channelId, (stats.channelMessageCounts.get(channelId) ?? 0n) + 1n);
    this.#chunk.addMessage({ channelId, sequence, logTime, publishTime: logTime, data });
    const chunkLength = this.#chunk.byteLength;
    if (this.#position + chunkLength >= this.#fullBytes) return FILE_FULL;
    return chunkLength >= this.#chunkBytes ? CHUNK_FULL : MESSAGE_BUFFERED;
  }

  /** Ends the open chunk: writes it (with its CRC) and its message indexes to the file. No-op when empty. */
  async flushChunk(): Promise<void> {
    if (this.#chunk.numMessages === 0) return;
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
    this.#statistics.chunkCount++;
    this.#chunk.reset();
    await this.#writeRecords(true);
  }

  /** Flushes to the disk itself (`fdatasync`), so what was written survives a power cut, not only a crash. */
  async sync(): Promise<void> {
    await this.#file.datasync();
  }

  /** Ends the last chunk and writes DataEnd, the summary (schemas, channels, statistics, chunk indexes) and footer. */
  async end(): Promise<void> {
    await this.flushChunk();
    const records = this.#records;
    records.writeDataEnd({ dataSectionCrc: crc32Final(this.#dataCrc) });
    const summaryStart = BigInt(this.#position + records.length);
    const offsets: SummaryOffset[] = [];
    const group = (opcode: number, write: () => bigint): void => {
      const groupStart = BigInt(this.#position + records.length);
      const groupLength = write();
      if (groupLength > 0n) offsets.push({ groupOpcode: opcode, groupStart, groupLength });
    };
    group(Opcode.SCHEMA, () => this.#schemas.reduce((n, s) => n + records.writeSchema(s), 0n));
    group(Opcode.CHANNEL, () => this.#channels.reduce((n, c) => n + records.writeChannel(c), 0n));
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
    await this.#writeRecords(false);
  }

  async #writeRecords(dataSection: boolean): Promise<void> {
    const buffer = this.#records.buffer;
    if (dataSection) this.#dataCrc = crc32Update(this.#dataCrc, buffer);
    let offset = 0;
    while (offset < buffer.byteLength) {
      const { bytesWritten } = await this.#file.write(buffer, offset, buffer.byteLength - offset, this.#position + offset);
      offset += bytesWritten;
    }
    this.#position += buffer.byteLength;
    this.#records.reset();
  }
}
