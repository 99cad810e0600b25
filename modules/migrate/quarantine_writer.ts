/**
 * The quarantine writer the engine gives each migration step: it keeps every record a migration could not
 * convert (its original bytes, reason and message) through a sink, and counts it. The default sink writes
 * `<destination>/quarantine/<n>.bin` (the bytes) and `<n>.json` (id, reason, message); file names are sequence
 * numbers, so no record id ever becomes a path.
 *
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { QuarantineRecord, QuarantineSink, QuarantineWriter } from "./migration.ts";

/** Creates a step's quarantine writer; `onWrite` is called after each record is kept. */
export function createQuarantineWriter(destinationDir: string, onWrite: () => void): QuarantineWriter {
  let sink: QuarantineSink = fileSink(join(destinationDir, "quarantine"));
  let count = 0;
  const byReason: Record<string, number> = {};
  return {
    async write(record: QuarantineRecord): Promise<void> {
      await sink(record);
      count++;
      byReason[record.reason] = (byReason[record.reason] ?? 0) + 1;
      onWrite();
    },
    setSink(next: QuarantineSink): void {
      sink = next;
    },
    get count(): number {
      return count;
    },
    get byReason(): Readonly<Record<string, number>> {
      return { ...byReason };
    },
  };
}

function fileSink(dir: string): QuarantineSink {
  let next = 0;
  return async (record) => {
    await mkdir(dir, { recursive: true });
    const name = String(next++).padStart(6, "0");
    await writeFile(join(dir, `${name}.bin`), record.bytes);
    const { id, reason, message, createdAt } = record;
    await writeFile(join(dir, `${name}.json`), `${JSON.stringify({ id, reason, message, createdAt })}\n`);
  };
}
