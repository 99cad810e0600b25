import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createCaptureWriter } from "./capture_writer.ts";
import { parseCaptureFileName } from "./capture_file_name.ts";
import { InvalidLogTimeError, WriterClosedError } from "./errors.ts";
import { readIndexed } from "./mcap_read_test_support.ts";
import { withDir } from "./temp_dir_test_support.ts";
import { createVirtualClock } from "./virtual_clock_test_support.ts";

test("close() drains: writes issued before it (not awaited) are written; only writes after it are refused", async () => {
  await withDir(async (dir) => {
    const writer = createCaptureWriter({ dir, flushIntervalMs: 3_600_000 });
    const pending: Promise<void>[] = [];
    // New collectors and channels (the queued slow path) as well as buffered writes to an open channel.
    for (let i = 0; i < 30; i++) pending.push(writer.write(`c${i % 3}`, i % 2 ? "a" : "b", { i }));
    const closing = writer.close();
    const late = assert.rejects(writer.write("c0", "a", { i: 99 }), WriterClosedError);
    await Promise.all(pending);
    await closing;
    await late;
    const values: number[] = [];
    for (const file of (await readdir(dir)).sort()) {
      values.push(...(await readIndexed(join(dir, file))).messages.map((m) => (m.value as { i: number }).i));
    }
    assert.deepEqual(values.sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));
  });
});

test("non-finite and negative log times are refused with InvalidLogTimeError (a rejected promise, never a throw)", async () => {
  await withDir(async (dir) => {
    const writer = createCaptureWriter({ dir });
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, -0.001, 1e300]) {
      let promise: Promise<void> | undefined;
      assert.doesNotThrow(() => {
        promise = writer.write("temp", "M105", { bad }, bad);
      }, String(bad));
      await assert.rejects(promise!, (e: unknown) => e instanceof InvalidLogTimeError && e.code === "CAPTURE_INVALID_LOG_TIME", String(bad));
    }
    await writer.write("temp", "M105", { ok: true }, 0);
    await writer.close();
    const [file] = await readdir(dir);
    const { messages } = await readIndexed(join(dir, file!));
    assert.deepEqual(messages.map((m) => [m.value, m.logTime]), [[{ ok: true }, 0n]]);
  });
});

test("when the wall clock steps back, log times stay monotonic per channel and file names stay in data order", async () => {
  await withDir(async (dir) => {
    const clock = createVirtualClock(Date.UTC(2026, 5, 1, 12));
    const writer = createCaptureWriter({ dir, clock, maxFileAgeMs: 10_000, flushIntervalMs: 3_600_000 });
    let n = 0;
    const step = async (advanceMs: number): Promise<void> => {
      clock.advance(advanceMs);
      await writer.write("temp", "M105", { n: n++ });
      await writer.flush(); // files are finished by age at a flush
    };
    for (let i = 0; i < 15; i++) await step(1000); // rotates once by age
    clock.advance(-3_600_000); // NTP steps the clock back one hour
    for (let i = 0; i < 15; i++) await step(1000);
    clock.advance(7_200_000); // and forward two hours
    for (let i = 0; i < 5; i++) await step(1000);
    await writer.close();
    const files = (await readdir(dir)).sort(); // the contract: sorting names orders the data
    assert.ok(files.length >= 3, files.join());
    const sequences = files.map((f) => parseCaptureFileName(f)!.sequence);
    assert.deepEqual(sequences, [...sequences].sort((a, b) => a - b), "name order is sequence order");
    const values: number[] = [];
    const times: bigint[] = [];
    for (const file of files) {
      for (const m of (await readIndexed(join(dir, file))).messages) {
        values.push((m.value as { n: number }).n);
        times.push(m.logTime);
      }
    }
    assert.deepEqual(values, Array.from({ length: 35 }, (_, i) => i), "name order is data order");
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]!, `log time ${i} goes back`);
    assert.equal(times[times.length - 1]! - times[0]!, BigInt(2 * 3_600_000 - 3_600_000 + 34_000) * 1_000_000n, "a backward step holds log times; a forward step shows as a gap");
  });
});

test("two writers opening a file for the same collector in the same millisecond take distinct names; both files are whole", async () => {
  await withDir(async (dir) => {
    const clock = createVirtualClock(Date.UTC(2026, 0, 1));
    const first = createCaptureWriter({ dir, clock });
    const second = createCaptureWriter({ dir, clock });
    // The second writer scans the (empty) directory first, for another collector; then the first takes sequence 1
    // for "arm", the name the second writer's scan left free for it.
    await second.write("gripper", "force", new TextEncoder().encode('{"n":0}'), Date.UTC(2026, 0, 1));
    await first.write("arm", "pose", new TextEncoder().encode('{"x":1}'), Date.UTC(2026, 0, 1));
    await second.write("arm", "pose", new TextEncoder().encode('{"x":2}'), Date.UTC(2026, 0, 1));
    await first.close();
    await second.close();
    const names = (await readdir(dir)).filter((name) => name.startsWith("arm_") && name.endsWith(".mcap")).sort();
    assert.equal(names.length, 2);
    assert.deepEqual(names.map((name) => parseCaptureFileName(name)?.sequence), [1, 2]);
    for (const name of names) assert.equal((await readIndexed(join(dir, name))).messages.length, 1);
  });
});
