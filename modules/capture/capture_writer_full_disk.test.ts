import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { fillDisk, withTmpfs } from "@deckhand/crash-test";
import { createCaptureWriter } from "./capture_writer.ts";
import type { CaptureEvent } from "./capture_event.ts";
import { statfsFreeBytes } from "./disk_policy.ts";
import { DiskFullError, WriteFailedError } from "./errors.ts";
import { readIndexed, readStreaming } from "./mcap_read_test_support.ts";

// A real full disk: a 2 MiB tmpfs, mounted for the test (we run as root on CI). Skipped, saying why, elsewhere.
const TMPFS = { size: "2m", skipNote: "the injected failing file system covers the same cases" };

async function valuesIn(dir: string): Promise<number[]> {
  const values: number[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".mcap")).sort()) {
    const indexed = await readIndexed(join(dir, file)); // fails on a corrupt file ("Record content length ... too large")
    const streamed = await readStreaming(join(dir, file)); // chunk and data-section CRCs validated
    assert.deepEqual(streamed.map((m) => m.value), indexed.messages.map((m) => m.value));
    values.push(...indexed.messages.map((m) => (m.value as { i: number }).i));
  }
  return values;
}

test("on a real full disk (2 MiB tmpfs) failed flushes roll back, nothing is stored twice or corrupt, and capture resumes when space returns", async (t) => {
  await withTmpfs(t, async (root) => {
    const dir = join(root, "capture");
    const writer = createCaptureWriter({ dir, chunkBytes: 8 * 1024, maxFileBytes: 256 * 1024, flushIntervalMs: 3_600_000 });
    const pad = "z".repeat(900);
    const stored: number[] = [];
    let lostReported = 0;
    let failedFlushes = 0;
    let i = 0;
    const batch = async (): Promise<void> => {
      const start = i;
      let lostHere = 0;
      for (let k = 0; k < 20; k++) {
        await writer.write("temp", "M105", { i: i++, pad }).catch((error: unknown) => {
          assert.ok(error instanceof WriteFailedError, String(error));
          lostHere += error.lostMessages;
        });
      }
      await writer.flush().catch((error: unknown) => {
        assert.ok(error instanceof WriteFailedError, String(error));
        assert.equal((error.cause as NodeJS.ErrnoException).code, "ENOSPC");
        failedFlushes++;
        lostHere += error.lostMessages;
      });
      lostReported += lostHere;
      if (lostHere === 0) for (let n = start; n < i; n++) stored.push(n);
    };
    for (let b = 0; b < 4; b++) await batch();
    await fillDisk(join(root, "filler"));
    for (let b = 0; b < 4; b++) await batch();
    assert.ok(failedFlushes > 0, "the full disk made flushes fail");
    await rm(join(root, "filler"));
    const before = stored.length;
    for (let b = 0; b < 4; b++) await batch();
    assert.equal(stored.length, before + 80, "every write after space returned is stored");
    await writer.close();
    const values = await valuesIn(dir);
    assert.equal(new Set(values).size, values.length, "nothing stored twice");
    assert.deepEqual(values, [...values].sort((a, b) => a - b), "in order");
    const kept = new Set(values);
    assert.deepEqual(stored.filter((n) => !kept.has(n)), [], "every batch that was not reported lost is stored");
    assert.equal(values.length, i - lostReported, "every message not reported lost is stored");
    assert.deepEqual((await readdir(dir)).filter((f) => !f.endsWith(".mcap")), []);
  }, TMPFS);
});

test("free space is checked at every flush: on a real 2 MiB tmpfs the pause policy stops capture before the disk is full", async (t) => {
  await withTmpfs(t, async (root) => {
    const events: CaptureEvent[] = [];
    const writer = createCaptureWriter({
      dir: root,
      chunkBytes: 8 * 1024,
      maxFileBytes: 64 * 1024 * 1024, // one file for the whole test: the check at open alone would never run again
      flushIntervalMs: 3_600_000,
      disk: { minFreeBytes: 1024 * 1024, policy: "pause" },
      onEvent: (e) => events.push(e),
    });
    let paused = false;
    for (let i = 0; i < 4000 && !paused; i++) {
      try {
        await writer.write("temp", "M105", { i, pad: "p".repeat(500) });
      } catch (error) {
        assert.ok(error instanceof DiskFullError, `refused by the disk policy, not by a failed write: ${String(error)}`);
        paused = true;
      }
      if (i % 20 === 19) await writer.flush();
    }
    assert.ok(paused, "capture paused");
    assert.ok(events.some((e) => e.type === "paused"));
    assert.ok((await statfsFreeBytes(root)) > 512 * 1024, "the disk never filled up");
    await writer.close();
    assert.ok((await valuesIn(root)).length > 100);
  }, TMPFS);
});
