/**
 * Directory fsync, the step that makes a created or renamed file's name durable.
 *
 * @module
 */
import { open } from "node:fs/promises";

/** Fsyncs `dir` so that file creations and renames in it survive a power cut. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
