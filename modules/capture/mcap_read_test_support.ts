/**
 * Test support (not published): reads an MCAP file back with @mcap/core's indexed reader and its streaming
 * reader (zstd chunks decompressed), returning the messages with their channel topics and decoded JSON.
 */
import { readFile } from "node:fs/promises";
import { McapIndexedReader, McapStreamReader } from "@mcap/core";
import { loadDecompressHandlers } from "./chunk_compression.ts";

/** One message read back. */
export interface ReadMessage {
  readonly topic: string;
  readonly sequence: number;
  readonly logTime: bigint;
  readonly value: unknown;
}

const decoder = new TextDecoder();

/** Reads every message with `McapIndexedReader` (needs a valid summary and chunk indexes). */
export async function readIndexed(path: string): Promise<{ messages: ReadMessage[]; reader: McapIndexedReader }> {
  const bytes = await readFile(path);
  const reader = await McapIndexedReader.Initialize({
    decompressHandlers: await loadDecompressHandlers(),
    readable: {
      size: async () => BigInt(bytes.byteLength),
      read: async (offset: bigint, size: bigint) => bytes.subarray(Number(offset), Number(offset + size)),
    },
  });
  const messages: ReadMessage[] = [];
  for await (const message of reader.readMessages()) {
    const channel = reader.channelsById.get(message.channelId)!;
    messages.push({
      topic: channel.topic,
      sequence: message.sequence,
      logTime: message.logTime,
      value: JSON.parse(decoder.decode(message.data)),
    });
  }
  return { messages, reader };
}

/** Reads every message with `McapStreamReader` (CRCs validated), in file order; throws if the file is not complete. */
export async function readStreaming(path: string): Promise<ReadMessage[]> {
  const bytes = await readFile(path);
  const reader = new McapStreamReader({ validateCrcs: true, decompressHandlers: await loadDecompressHandlers() });
  reader.append(bytes);
  const topics = new Map<number, string>();
  const messages: ReadMessage[] = [];
  for (let record = reader.nextRecord(); record; record = reader.nextRecord()) {
    if (record.type === "Channel") topics.set(record.id, record.topic);
    if (record.type === "Message") {
      messages.push({
        topic: topics.get(record.channelId)!,
        sequence: record.sequence,
        logTime: record.logTime,
        value: JSON.parse(decoder.decode(record.data)),
      });
    }
  }
  if (!reader.done()) throw new Error(`${path} ended before its footer and closing magic`);
  return messages;
}
