import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createCaptureWriter } from "./capture_writer.ts";
import type { CaptureEvent } from "./capture_event.ts";
import { parseCaptureFileName } from "./capture_file_name.ts";
import { statfsFreeBytes } from "./disk_policy.ts";
import { DiskFullError, InvalidOptionsError, WriterClosedError } from "./errors.ts";
import { recoverCaptureDir } from "./recover_capture_dir.ts";
import { readIndexed, readStreaming } from "./mcap_read_test_support.ts";
import { withDir } from "./temp_dir_test_support.ts";
import { createVirtualClock } from "./virtual_clock_test_support.ts";

async function finishedFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith(".mcap")).sort();
}

test("files read back with the indexed and streaming readers hold exactly the captured messages in order", async () => {
  await withDir(async (dir) => {
    const clock = createVirtualClock();
    const writer = createCaptureWriter({ dir, clock, chunkBytes: 2048 });
    const expected: { topic: string; value: unknown }[] = [];
    for (let i = 0; i < 500; i++) {
      clock.advance(1);
      const method = i % 3 === 0 ? "M105" : "M114";
      const value = { i, method, pad: "x".repeat(i % 40) };
      await writer.write("temp-1", method, value);
      expected.push({ topic: `/temp-1/${method}`, value });
      if (i % 100 === 0) await writer.flush();
    }
    await writer.write("arm", "pose", new TextEncoder().encode('{"x":1}'));
    await writer.close();
    const files = await finishedFiles(dir);
    assert.equal(files.length, 2);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith(".part")), []);
    const tempFile = join(dir, files.find((f) => f.startsWith("temp-1_"))!);
    const indexed = await readIndexed(tempFile);
    const streamed = await readStreaming(tempFile);
    assert.deepEqual(indexed.messages.map((m) => ({ topic: m.topic, value: m.value })), expected);
    assert.deepEqual(streamed.map((m) => ({ topic: m.topic, value: m.value })), expected);
    // One schema and one channel per collector and method, JSON encoded, with per-channel sequences.
    const channels = [...indexed.reader.channelsById.values()].map((c) => [c.topic, c.messageEncoding]).sort();
    assert.deepEqual(channels, [["/temp-1/M105", "json"], ["/temp-1/M114", "json"]]);
    assert.equal(indexed.reader.schemasById.size, 2);
    assert.equal(indexed.reader.statistics?.messageCount, 500n);
    assert.ok(indexed.reader.chunkIndexes.length > 5, "messages are chunked");
    assert.deepEqual(indexed.messages.filter((m) => m.topic === "/temp-1/M105").map((m) => m.sequence).slice(0, 3), [0, 1, 2]);
    const arm = await readIndexed(join(dir, files.find((f) => f.startsWith("arm_"))!));
    assert.deepEqual(arm.messages.map((m) => m.value), [{ x: 1 }]);
  });
});

test("zstd-compressed files read back with both readers and recover from a crash copy", async () => {
  await withDir(async (dir) => {
    const writer = createCaptureWriter({ dir, compression: "zstd", chunkBytes: 4096, flushIntervalMs: 3_600_000 });
    const values = Array.from({ length: 300 }, (_, i) => ({ i, currentC: 23 + (i % 7) / 10, targetC: null }));
    for (const value of values.slice(0, 200)) await writer.write("temp", "M105", value);
    await writer.flush();
    const crashed = join(dir, "crashed");
    await mkdir(crashed);
    const part = (await readdir(dir)).find((f) => f.endsWith(".mcap.part"))!;
    await copyFile(join(dir, part), join(crashed, part));
    for (const value of values.slice(200)) await writer.write("temp", "M105", value);
    await writer.close();
    const [file] = await finishedFiles(dir);
    const indexed = await readIndexed(join(dir, file!));
    assert.deepEqual(indexed.messages.map((m) => m.value), values);
    assert.deepEqual((await readStreaming(join(dir, file!))).map((m) => m.value), values);
    assert.ok(indexed.reader.chunkIndexes.every((c) => c.compression === "zstd" && c.compressedSize < c.uncompressedSize));
    const [report] = await recoverCaptureDir(crashed);
    assert.equal(report!.recoveredMessages, 200);
    assert.deepEqual((await readIndexed(join(crashed, report!.output!))).messages.map((m) => m.value), values.slice(0, 200));
  });
});

test("a file is finished and renamed to .mcap when it reaches maxFileBytes, and sequences increase", async () => {
  await withDir(async (dir) => {
    const finished: string[] = [];
    const writer = createCaptureWriter({
      dir,
      maxFileBytes: 16 * 1024,
      chunkBytes: 4096,
      onEvent: (e) => e.type === "file-finished" && finished.push(e.file),
    });
    for (let i = 0; i < 1000; i++) await writer.write("imu", "read", { i, pad: "y".repeat(50) });
    const beforeClose = await finishedFiles(dir);
    assert.ok(beforeClose.length >= 4, `expected several rotated files, got ${beforeClose.length}`);
    await writer.close();
    const files = await finishedFiles(dir);
    assert.deepEqual(files, [...finished].sort());
    assert.deepEqual(files.map((f) => parseCaptureFileName(f)!.sequence), files.map((_, i) => i + 1));
    for (const file of files.slice(0, -1)) {
      // Finished at the write that reached the limit: over it by at most one message and the summary.
      const { size } = await stat(join(dir, file));
      assert.ok(size >= 16 * 1024 && size < 16 * 1024 + 2048, `${file} is ${size} bytes`);
    }
    const all: unknown[] = [];
    for (const file of files) all.push(...(await readIndexed(join(dir, file))).messages.map((m) => (m.value as { i: number }).i));
    assert.deepEqual(all, Array.from({ length: 1000 }, (_, i) => i));
  });
});

test("a file is finished at the first flush after it reaches maxFileAgeMs, measured on the injected clock", async () => {
  await withDir(async (dir) => {
    const clock = createVirtualClock();
    const writer = createCaptureWriter({ dir, clock, maxFileAgeMs: 60_000 });
    await writer.write("temp", "M105", { n: 1 });
    clock.advance(59_999);
    await writer.write("temp", "M105", { n: 2 });
    await writer.flush(); // age is checked at every flush (the timer's, or this one)
    assert.deepEqual(await finishedFiles(dir), []);
    clock.advance(1);
    await writer.flush();
    await writer.write("temp", "M105", { n: 3 });
    const files = await finishedFiles(dir);
    assert.equal(files.length, 1);
    assert.deepEqual((await readIndexed(join(dir, files[0]!))).messages.map((m) => m.value), [{ n: 1 }, { n: 2 }]);
    await writer.close();
    assert.equal((await finishedFiles(dir)).length, 2);
  });
});

test("after flush every message written so far is in complete chunks on disk, readable by recovery", async () => {
  await withDir(async (dir) => {
    const writer = createCaptureWriter({ dir, flushIntervalMs: 3_600_000 });
    for (let i = 0; i < 50; i++) await writer.write("counter", "read", { i });
    await writer.flush();
    await writer.write("counter", "read", { i: 50 }); // buffered only: not promised to be on disk
    // Copy the .part as a crash at this instant would leave it, and recover the copy.
    const crashed = join(dir, "crashed");
    await mkdir(crashed);
    const part = (await readdir(dir)).find((f) => f.endsWith(".mcap.part"))!;
    await copyFile(join(dir, part), join(crashed, part));
    const [report] = await recoverCaptureDir(crashed);
    assert.equal(report!.recoveredMessages, 50);
    assert.equal(report!.corruptBytes, 0);
    const messages = (await readIndexed(join(crashed, report!.output!))).messages;
    assert.deepEqual(messages.map((m) => m.value), Array.from({ length: 50 }, (_, i) => ({ i })));
    await writer.close();
  });
});

test("the flush timer writes buffered messages within flushIntervalMs without any call", async () => {
  await withDir(async (dir) => {
    let flushed!: () => void;
    const flushedOnce = new Promise<void>((resolve) => (flushed = resolve));
    const writer = createCaptureWriter({ dir, flushIntervalMs: 20, onEvent: (e) => e.type === "flushed" && flushed() });
    await writer.write("counter", "read", { i: 1 });
    await flushedOnce;
    const crashed = join(dir, "crashed");
    await mkdir(crashed);
    const part = (await readdir(dir)).find((f) => f.endsWith(".mcap.part"))!;
    await copyFile(join(dir, part), join(crashed, part));
    const [report] = await recoverCaptureDir(crashed);
    assert.equal(report!.recoveredMessages, 1);
    await writer.close();
  });
});

test("a new writer continues the file sequence of the directory", async () => {
  await withDir(async (dir) => {
    const first = createCaptureWriter({ dir });
    await first.write("temp", "M105", 1);
    await first.close();
    const second = createCaptureWriter({ dir });
    await second.write("temp", "M105", 2);
    await second.close();
    assert.deepEqual((await finishedFiles(dir)).map((f) => parseCaptureFileName(f)!.sequence), [1, 2]);
  });
});

test("nonsense options are refused at construction with InvalidOptionsError", () => {
  const bad: Record<string, unknown>[] = [
    { maxFileBytes: 0 },
    { maxFileBytes: -1 },
    { maxFileAgeMs: 0 },
    { maxFileAgeMs: -5 },
    { flushIntervalMs: 0 },
    { flushIntervalMs: -1 },
    { flushIntervalMs: Number.NaN },
    { chunkBytes: 0 },
    { compression: "lz4" },
    { disk: { minFreeBytes: 0, policy: "pause" } },
    { disk: { minFreeBytes: 1024, policy: { deleteEveryNth: 0 } } },
    { disk: { minFreeBytes: 1024, policy: "delete" } },
  ];
  for (const options of bad) {
    assert.throws(
      () => createCaptureWriter({ dir: "/tmp/never-created", ...options } as never),
      (error: unknown) => error instanceof InvalidOptionsError && error.code === "CAPTURE_INVALID_OPTIONS",
      JSON.stringify(options),
    );
  }
  assert.throws(() => createCaptureWriter({ dir: "" }), InvalidOptionsError);
});

test("an invalid collector name is refused with InvalidOptionsError and writes after close fail with WriterClosedError", async () => {
  await withDir(async (dir) => {
    const writer = createCaptureWriter({ dir });
    await assert.rejects(writer.write("../escape", "read", 1), InvalidOptionsError);
    await assert.rejects(writer.write("has_underscore", "read", 1), InvalidOptionsError);
    await writer.close();
    await assert.rejects(writer.write("ok", "read", 1), (e: unknown) => e instanceof WriterClosedError && e.code === "CAPTURE_WRITER_CLOSED");
    assert.deepEqual(await readdir(dir), []);
  });
});

test("deleteEveryNth deletes every Nth oldest finished file when free space is low, and reports each deletion", async () => {
  await withDir(async (dir) => {
    const clock = createVirtualClock();
    for (let i = 1; i <= 6; i++) {
      clock.advance(1000);
      const w = createCaptureWriter({ dir, clock });
      await w.write(i % 2 ? "a" : "b", "read", { i });
      await w.close();
    }
    await writeFile(join(dir, "a_20260101T000000000Z_0000000099.mcap.part"), "a part file is never deleted");
    const before = await finishedFiles(dir);
    let free = 10;
    const events: CaptureEvent[] = [];
    const writer = createCaptureWriter({
      dir,
      clock,
      disk: { minFreeBytes: 1000, policy: { deleteEveryNth: 2 }, freeBytes: async () => free },
      onEvent: (e) => events.push(e),
    });
    clock.advance(1000);
    await writer.write("a", "read", { i: 7 });
    const deleted = events.filter((e) => e.type === "deleted").map((e) => (e as { file: string }).file);
    const oldestFirst = [...before].sort((x, y) => parseCaptureFileName(x)!.startedAtMs - parseCaptureFileName(y)!.startedAtMs);
    assert.deepEqual(deleted, [oldestFirst[0], oldestFirst[2], oldestFirst[4]]);
    assert.ok(events.some((e) => e.type === "disk-low" && e.freeBytes === 10));
    const remaining = await readdir(dir);
    for (const file of deleted) assert.ok(!remaining.includes(file));
    assert.ok(remaining.includes("a_20260101T000000000Z_0000000099.mcap.part"));
    free = 1_000_000;
    await writer.close();
  });
});

test("the default free-space probe reads statfs on this runtime, and a writer with a disk policy uses it", async () => {
  await withDir(async (dir) => {
    const free = await statfsFreeBytes(dir);
    assert.ok(Number.isSafeInteger(free) && free > 0, `free bytes ${free}`);
    const events: string[] = [];
    const writer = createCaptureWriter({ dir, disk: { minFreeBytes: 1, policy: "pause" }, onEvent: (e) => events.push(e.type) });
    await writer.write("temp", "M105", 1);
    await writer.close();
    assert.deepEqual(events, ["file-opened", "file-finished"]);
  });
});

test("the pause policy refuses writes with DiskFullError while the disk is low and resumes when space is back", async () => {
  await withDir(async (dir) => {
    const clock = createVirtualClock();
    let free = 10;
    const events: string[] = [];
    const writer = createCaptureWriter({
      dir,
      clock,
      flushIntervalMs: 1000,
      disk: { minFreeBytes: 1000, policy: "pause", freeBytes: async () => free },
      onEvent: (e) => events.push(e.type),
    });
    await assert.rejects(writer.write("temp", "M105", 1), (e: unknown) => e instanceof DiskFullError && e.code === "CAPTURE_DISK_FULL");
    await assert.rejects(writer.write("temp", "M105", 2), DiskFullError);
    assert.deepEqual(await readdir(dir), []);
    free = 1_000_000;
    clock.advance(1000);
    await writer.write("temp", "M105", 3);
    await writer.close();
    assert.deepEqual(events.filter((e) => e !== "flushed"), ["disk-low", "paused", "resumed", "file-opened", "file-finished"]);
    const [file] = await finishedFiles(dir);
    assert.deepEqual((await readIndexed(join(dir, file!))).messages.map((m) => m.value), [3]);
  });
});
