/**
 * Protocol files stored content-addressed: each file's bytes under `<dir>/<sha256>`, written to a temp file,
 * fsynced, renamed, and the directory fsynced, so a file whose hash a protocol record names is complete on disk
 * before the record is written. The same bytes uploaded twice are stored once.
 *
 * @module
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";

/** The SHA-256 of `bytes`, lowercase hex. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Writes `bytes` to `path` so that after it resolves the file survives `kill -9` and a power cut, whole: temp
 * file, fsync, rename, fsync of the directory.
 */
export async function writeFileDurably(dir: string, name: string, bytes: Uint8Array | string): Promise<void> {
  const temp = join(dir, `.tmp-${name}-${randomUUID()}`);
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, join(dir, name));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  const dirHandle = await open(dir, "r");
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/** A content-addressed directory of protocol files. */
export class ProtocolFiles {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  /** Stores `bytes` (once per content) and returns their SHA-256. */
  async put(bytes: Uint8Array): Promise<string> {
    const hash = sha256Hex(bytes);
    await mkdir(this.dir, { recursive: true });
    const exists = await stat(join(this.dir, hash)).then((s) => s.size === bytes.byteLength, (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return false;
      throw error;
    });
    if (!exists) await writeFileDurably(this.dir, hash, bytes);
    return hash;
  }

  /** The stored bytes of a hash. */
  get(hash: string): Promise<Uint8Array> {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`not a SHA-256 hash: ${hash}`);
    return readFile(join(this.dir, hash));
  }
}
