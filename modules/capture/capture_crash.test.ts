import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnTypeScript } from "@deckhand/crash-test";
import { parseCaptureFileName } from "./capture_file_name.ts";
import { recoverCaptureDir } from "./recover_capture_dir.ts";
import { readIndexed } from "./mcap_read_test_support.ts";

const ROUNDS = 24;
const FLUSH_INTERVAL_MS = 10;

test(`kill -9 at random moments (${ROUNDS} rounds) then recovery loses nothing older than the flush interval`, async () => {
  // Rounds run a few at a time; each has its own directory and child process.
  const parallel = 4;
  const outcomes: { flushed: number; recovered: number; partsRecovered: number }[] = [];
  async function round(r: number): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), "deckhand-"));
    try {
      const child = spawnTypeScript(new URL("./capture_crash_test_child.ts", import.meta.url), [dir, String(FLUSH_INTERVAL_MS)]);
      await child.waitForLine((line) => line.startsWith("flushed "));
      // Random moment: 0 to ~150 ms after the first flush, so kills land in writes, flushes, rotations and renames.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 150)));
      await child.kill();
      const errors = child.lines.filter((line) => line.startsWith("error "));
      assert.deepEqual(errors, [], `round ${r}: the child reported errors`);
      const flushed = Math.max(...child.lines.filter((l) => l.startsWith("flushed ")).map((l) => Number(l.slice(8))));
      const reports = await recoverCaptureDir(dir);
      const files = (await readdir(dir))
        .filter((f) => f.endsWith(".mcap"))
        .sort((a, b) => parseCaptureFileName(a)!.sequence - parseCaptureFileName(b)!.sequence);
      assert.ok(!(await readdir(dir)).some((f) => f.endsWith(".part")), `round ${r}: no .part is left`);
      const seqs: number[] = [];
      for (const file of files) {
        for (const m of (await readIndexed(join(dir, file))).messages) seqs.push((m.value as { seq: number }).seq);
      }
      // In order, no duplicates, no gaps, and at least everything up to the last flush reported before the kill.
      assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i), `round ${r}: messages are 0..n in order`);
      assert.ok(seqs.length - 1 >= flushed, `round ${r}: flushed up to ${flushed} but recovered only up to ${seqs.length - 1}`);
      outcomes.push({ flushed, recovered: seqs.length, partsRecovered: reports.length });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  for (let start = 0; start < ROUNDS; start += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, ROUNDS - start) }, (_, i) => round(start + i)));
  }
  assert.equal(outcomes.length, ROUNDS);
  assert.ok(outcomes.reduce((n, o) => n + o.recovered, 0) > ROUNDS * 100, "the child captured at a high rate");
  // A kill can land between a rename and the next file, leaving no .part; most leave one.
  assert.ok(outcomes.filter((o) => o.partsRecovered >= 1).length >= ROUNDS / 4, "kills left .part files for recovery");
});
