/**
 * The file system a capture writer creates its files through: the smallest surface it needs (create a file,
 * positional writes, sync, truncate), so tests and apps can inject one that fails on demand (ENOSPC, EIO).
 *
 * @module
 */
import { open } from "node:fs/promises";

/** An open capture file: what `node:fs/promises`' `FileHandle` offers, reduced to what capture uses. */
export interface CaptureFileHandle {
  /** Writes `length` bytes of `buffer` from `offset` at file `position`; may write fewer (the caller loops). */
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  /** `fdatasync`: the data written so far survives a power cut. */
  datasync(): Promise<void>;
  /** `fsync`: data and metadata survive a power cut. */
  sync(): Promise<void>;
  /** Cuts the file to `length` bytes (how a failed write is rolled back). */
  truncate(length: number): Promise<void>;
  /** Closes the file. */
  close(): Promise<void>;
}

/** Creates capture files. The default is `node:fs/promises`, which Deno provides too. */
export interface CaptureFileSystem {
  /** Creates `path`, which must not exist yet (`wx`), open for writing. */
  create(path: string): Promise<CaptureFileHandle>;
}

/**
 * The real file system (`node:fs/promises`).
 *
 * @example
 * ```ts
 * const writer = createCaptureWriter({ dir, fileSystem: nodeFileSystem }); // the default
 * ```
 */
export const nodeFileSystem: CaptureFileSystem = {
  create: (path) => open(path, "wx"),
};
