/**
 * Chunk compression for capture files. `zstd` uses `@foxglove/wasm-zstd`, the codec Foxglove itself reads MCAP
 * chunks with (wasm, runs on Node and Deno); it is loaded on first use only.
 *
 * @module
 */
import type { DecompressHandlers } from "@mcap/core";
import type { ChunkCompressor } from "./mcap_capture_file.ts";

/** How capture file chunks are compressed. */
export type ChunkCompression = "none" | "zstd";

/** True when `value` is a supported `ChunkCompression`. */
export function isChunkCompression(value: unknown): value is ChunkCompression {
  return value === "none" || value === "zstd";
}

type Zstd = typeof import("@foxglove/wasm-zstd");
let zstdModule: Promise<Zstd> | undefined;

function loadZstd(): Promise<Zstd> {
  zstdModule ??= import("@foxglove/wasm-zstd").then(async (zstd) => {
    await zstd.isLoaded;
    return zstd;
  });
  return zstdModule;
}

/** Returns the chunk compressor for `compression` (undefined for `"none"`), loading the codec if needed. */
export async function loadChunkCompressor(compression: ChunkCompression): Promise<ChunkCompressor | undefined> {
  if (compression === "none") return undefined;
  const zstd = await loadZstd();
  return (data) => ({ compression: "zstd", compressedData: zstd.compress(data, 3) });
}

/**
 * The `decompressHandlers` that `@mcap/core`'s readers need to read capture files written with `compression: "zstd"`.
 *
 * @example
 * ```ts
 * const reader = await McapIndexedReader.Initialize({ readable, decompressHandlers: await loadDecompressHandlers() });
 * ```
 */
export async function loadDecompressHandlers(): Promise<DecompressHandlers> {
  const zstd = await loadZstd();
  return { zstd: (buffer, decompressedSize) => zstd.decompress(buffer, Number(decompressedSize)) };
}
