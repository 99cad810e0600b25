import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createCaptureWriter } from "./capture_writer.ts";
import type { CaptureEvent } from "./capture_event.ts";
import { DiskFullError, WriteFailedError } from "./errors.ts";
import { recoverCaptureDir } from "./recover_capture_dir.ts";
import { createFailingFileSystem } from "./failing_file_system_test_support.ts";
import { readIndexed, readStreaming } from "./mcap_read_test_support.ts";
import { withDir } from "./temp_dir_test_support.ts";
import { createVirtualClock } from "./virtual_clock_test_support.ts";

// A file system that fails on demand (the real one underneath): ENOSPC in the middle of a write, EIO on fsync.
// The real full disk is in capture_writer_full_disk.test.ts (a 2 MiB tmpfs).

async function valuesIn(dir: string): Promise<unknown[]> {
  const values: unknown[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".mcap")).sort()) {
    const indexed = await readIndexed(join(dir, file));
    const streamed = await readStreaming(join(dir, file)); // CRCs (chunks and data section) validated
    assert.deepEqual(streamed.map((m) => m.value), indexed.messages.map((m) => m.value));
    values.push(...indexed.messages.map((m) => m.value));
  }
  return values;
}

const isWriteFailed = (lost: number) => (error: unknown): boolean =>
  error instanceof WriteFailedError && error.code === "CAPTURE_WRITE_FAILED" && error.lostMessages === lost;

test("a chunk write that fails half-way (ENOSPC) rolls back: the write rejects, its sample is not in the file, later writes succeed", async () => {
  await withDir(async (dir) => {
    const fs = createFailingFileSystem();
    const writer = createCaptureWriter({ dir, fileSystem: fs, chunkBytes: 1, flushIntervalMs: 3_600_000 });
    for (let i = 0; i < 10; i++) await writer.write("temp", "M105", { i });
    fs.failWrites();
    await assert.rejects(writer.write("temp", "M105", { i: 10 }), isWriteFailed(1));
    for (let i = 11; i < 20; i++) await writer.write("temp", "M105", { i });
    await writer.close();
    assert.equal(fs.fired, 1);
    const expected = Array.from({ length: 20 }, (_, i) => ({ i })).filter((v) => v.i !== 10);
    assert.deepEqual(await valuesIn(dir), expected, "the rejected sample is not stored, the others are, once each");
  });
});

test("a flush whose chunk write fails reports the lost messages, and the writer keeps working", async () => {
  await withDir(async (dir) => {
    const fs = createFailingFileSystem();
    const writer = createCaptureWriter({ dir, fileSystem: fs, flushIntervalMs: 3_600_000 });
    const stored: number[] = [];
    for (let batch = 0; batch < 6; batch++) {
      for (let k = 0; k < 5; k++) await writer.write("temp", "M105", { i: batch * 5 + k });
      if (batch === 2 || batch === 3) fs.failWrites();
      try {
        await writer.flush();
        stored.push(...Array.from({ length: 5 }, (_, k) => batch * 5 + k));
      } catch (error) {
        assert.ok(isWriteFailed(5)(error), String(error));
      }
    }
    await writer.close();
    assert.deepEqual(await valuesIn(dir), stored.map((i) => ({ i })));
    assert.equal(stored.length, 20);
  });
});

test("an fdatasync that fails (EIO) rolls back to the last synced chunk: every unsynced message is counted lost, none is kept", async () => {
  await withDir(async (dir) => {
    const fs = createFailingFileSystem();
    // 3 messages per chunk: chunks are written early, but only a flush syncs them.
    const writer = createCaptureWriter({ dir, fileSystem: fs, chunkBytes: 150, flushIntervalMs: 3_600_000 });
    for (let i = 0; i < 10; i++) await writer.write("temp", "M105", { i, pad: "x".repeat(20) });
    await writer.flush();
    for (let i = 10; i < 20; i++) await writer.write("temp", "M105", { i, pad: "x".repeat(20) });
    fs.failDatasync();
    await assert.rejects(writer.flush(), isWriteFailed(10));
    for (let i = 20; i < 25; i++) await writer.write("temp", "M105", { i, pad: "x".repeat(20) });
    await writer.close();
    const values = (await valuesIn(dir)).map((v) => (v as { i: number }).i);
    assert.deepEqual(values, [...Array.from({ length: 10 }, (_, i) => i), 20, 21, 22, 23, 24]);
  });
});

test("a failed background flush is reported as an event and to the next flush(), and does not stop capture", async () => {
  await withDir(async (dir) => {
    const fs = createFailingFileSystem();
    const events: CaptureEvent[] = [];
    let failed!: () => void;
    const failedOnce = new Promise<void>((resolve) => (failed = resolve));
    const writer = createCaptureWriter({
      dir,
      fileSystem: fs,
      flushIntervalMs: 10,
      onEvent: (e) => {
        events.push(e);
        if (e.type === "error") failed();
      },
    });
    await writer.write("temp", "M105", { i: 0 }); // opens the file, buffers the message
    fs.failWrites();
    await failedOnce;
    await assert.rejects(writer.flush(), isWriteFailed(1));
    await writer.write("temp", "M105", { i: 1 });
    await writer.flush();
    await writer.write("temp", "M105", { i: 2 });
    await writer.close();
    assert.deepEqual(await valuesIn(dir), [{ i: 1 }, { i: 2 }]);
    const error = events.find((e) => e.type === "error") as { error: Error } | undefined;
    assert.ok(error && error.error instanceof WriteFailedError);
  });
});

test("when the rollback itself fails the file is abandoned to recovery, and the next write opens a new file", async () => {
  await withDir(async (dir) => {
    const fs = createFailingFileSystem();
    const events: CaptureEvent[] = [];
    const writer = createCaptureWriter({ dir, fileSystem: fs, flushIntervalMs: 3_600_000, onEvent: (e) => events.push(e) });
    for (let i = 0; i < 5; i++) await writer.write("temp", "M105", { i });
    await writer.flush();
    await writer.write("temp", "M105", { i: 5 });
    fs.failWrites();
    fs.failTruncate();
    await assert.rejects(writer.flush(), isWriteFailed(1));
    assert.ok(events.some((e) => e.type === "file-abandoned"));
    for (let i = 6; i < 9; i++) await writer.write("temp", "M105", { i });
    await writer.close();
    const reports = await recoverCaptureDir(dir);
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.recoveredMessages, 5);
    assert.ok(reports[0]!.corruptBytes > 0, "the torn half-chunk goes to corrupt/");
    assert.deepEqual(await valuesIn(dir), [0, 1, 2, 3, 4, 6, 7, 8].map((i) => ({ i })));
  });
});

test("a close() whose summary cannot be written rejects and leaves a .part that recovers every flushed message", async () => {
  await withDir(async (dir) => {
    const fs = createFailingFileSystem();
    const writer = createCaptureWriter({ dir, fileSystem: fs, flushIntervalMs: 3_600_000 });
    for (let i = 0; i < 7; i++) await writer.write("temp", "M105", { i });
    await writer.flush();
    fs.failWrites(5);
    await assert.rejects(writer.close(), WriteFailedError);
    const [part] = await readdir(dir);
    assert.match(part!, /\.mcap\.part$/);
    const [report] = await recoverCaptureDir(dir);
    assert.equal(report!.recoveredMessages, 7);
    assert.deepEqual(await valuesIn(dir), Array.from({ length: 7 }, (_, i) => ({ i })));
  });
});

test("writes across rotations with failing chunk and summary writes store every message not reported lost, once, in order", async () => {
  await withDir(async (dir) => {
    const fs = createFailingFileSystem();
    const writer = createCaptureWriter({ dir, fileSystem: fs, maxFileBytes: 4096, chunkBytes: 512, flushIntervalMs: 3_600_000 });
    let lost = 0;
    const count = (error: unknown): void => {
      assert.ok(error instanceof WriteFailedError, String(error));
      lost += error.lostMessages;
    };
    for (let i = 0; i < 300; i++) {
      if (i % 60 === 30) fs.failWrites(2); // a chunk write, then the retry or the summary after it
      await writer.write("temp", "M105", { i, pad: "y".repeat(30) }).catch(count);
    }
    await writer.flush().catch(count);
    await writer.close();
    const values = (await valuesIn(dir)).map((v) => (v as { i: number }).i);
    assert.equal(new Set(values).size, values.length, "no duplicates");
    assert.deepEqual(values, [...values].sort((a, b) => a - b), "in order");
    assert.ok(lost > 0);
    assert.equal(values.length, 300 - lost, `${lost} reported lost`);
    assert.ok((await readdir(dir)).length > 3);
    for (const file of await readdir(dir)) assert.ok(file.endsWith(".mcap"), file);
  });
});

test("free space is probed at every flush, not only when a file opens: the pause policy holds an open file's writes", async () => {
  await withDir(async (dir) => {
    const clock = createVirtualClock();
    let free = 1_000_000;
    const events: string[] = [];
    const writer = createCaptureWriter({
      dir,
      clock,
      flushIntervalMs: 1000,
      maxFileAgeMs: 3_600_000,
      disk: { minFreeBytes: 1000, policy: "pause", freeBytes: async () => free },
      onEvent: (e) => events.push(e.type),
    });
    await writer.write("temp", "M105", { i: 0 }); // opens the file: space is fine
    free = 10;
    await writer.flush(); // the probe at this flush sees the disk low, though no file opens
    assert.ok(events.includes("paused"), events.join());
    await assert.rejects(writer.write("temp", "M105", { i: 1 }), DiskFullError);
    free = 1_000_000;
    clock.advance(-3_600_000); // the clock steps back an hour: the re-probe is not postponed by the step
    await writer.write("temp", "M105", { i: 2 });
    await writer.close();
    assert.deepEqual(await valuesIn(dir), [{ i: 0 }, { i: 2 }]);
    assert.ok(events.includes("resumed"));
  });
});
