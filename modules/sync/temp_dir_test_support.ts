// Test support: temp directories and files with known content for the sync tests.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Calls `fn` with a new temp directory and removes the directory when `fn` settles. */
export async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-sync-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes `size` random bytes to `path` and returns their hex SHA-256. */
export async function writeRandomFile(path: string, size: number): Promise<string> {
  const bytes = randomBytes(size);
  await writeFile(path, bytes);
  return createHash("sha256").update(bytes).digest("hex");
}

/** The hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
