import { test } from "node:test";
import assert from "node:assert/strict";
import { createCollector } from "./collector.ts";
import type { SampleWriter } from "./collector.ts";
import { InvalidOptionsError } from "./errors.ts";
import { createVirtualClock } from "./virtual_clock_test_support.ts";

function recordingWriter(): SampleWriter & { written: { collector: string; method: string; sample: unknown; logTimeMs?: number }[] } {
  const written: { collector: string; method: string; sample: unknown; logTimeMs?: number }[] = [];
  return {
    written,
    async write(collector, method, sample, logTimeMs) {
      written.push({ collector, method, sample, ...(logTimeMs === undefined ? {} : { logTimeMs }) });
    },
  };
}

test("a collector reads once per tick at rateHz and writes every sample with its read time", async () => {
  const clock = createVirtualClock(1_000_000);
  const controller = new AbortController();
  const writer = recordingWriter();
  let n = 0;
  const collector = createCollector({
    name: "counter",
    method: "count",
    rateHz: 100,
    clock,
    writer,
    signal: controller.signal,
    source: {
      async read() {
        if (++n === 50) controller.abort();
        return n;
      },
    },
  });
  await collector.done;
  assert.deepEqual(writer.written.map((w) => w.sample), Array.from({ length: 49 }, (_, i) => i + 1));
  assert.deepEqual(writer.written.slice(0, 3).map((w) => w.logTimeMs), [1_000_000, 1_000_010, 1_000_020]);
  assert.ok(writer.written.every((w) => w.collector === "counter" && w.method === "count"));
  const stats = collector.stats();
  assert.equal(stats.captured, 49);
  assert.equal(stats.missed, 0);
  assert.equal(stats.errors, 0);
  assert.ok(Math.abs(stats.effectiveRateHz - 100) < 3, `effective rate ${stats.effectiveRateHz}`);
});

test("a slow read never overlaps the next: ticks it ran past are counted as missed, not queued", async () => {
  const clock = createVirtualClock(0);
  const controller = new AbortController();
  const writer = recordingWriter();
  let inFlight = 0;
  let maxInFlight = 0;
  let reads = 0;
  const collector = createCollector({
    name: "slow",
    rateHz: 10, // 100 ms period
    clock,
    writer,
    signal: controller.signal,
    source: {
      async read() {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        reads++;
        // The 3rd read (at 200 ms) takes 250 ms: the tick at 300 is missed, the one at 400 runs late at 450,
        // and the schedule goes on at 500.
        if (reads === 3) clock.advance(250);
        await Promise.resolve();
        inFlight--;
        if (reads === 6) controller.abort();
        return reads;
      },
    },
  });
  await collector.done;
  assert.equal(maxInFlight, 1);
  assert.deepEqual(writer.written.map((w) => w.logTimeMs), [0, 100, 200, 450, 500]);
  assert.equal(collector.stats().missed, 1);
  assert.equal(collector.stats().captured, 5);
});

test("failed reads and writes are counted with the last error and the loop keeps going", async () => {
  const clock = createVirtualClock(0);
  const controller = new AbortController();
  let reads = 0;
  const collector = createCollector({
    name: "flaky",
    rateHz: 50,
    clock,
    signal: controller.signal,
    writer: {
      async write(_c, _m, sample) {
        if (sample === 4) throw new Error("disk says no");
      },
    },
    source: {
      async read() {
        reads++;
        if (reads === 8) controller.abort();
        if (reads % 3 === 0) throw new Error(`read ${reads} failed`);
        return reads;
      },
    },
  });
  await collector.done;
  const stats = collector.stats();
  assert.equal(stats.errors, 3); // reads 3 and 6, write of 4
  assert.equal(stats.captured, 4); // 1, 2, 5, 7
  assert.equal(stats.lastError?.message, "read 6 failed");
});

test("abort stops the loop promptly, also during a read that honours the signal", async () => {
  const controller = new AbortController();
  let started!: () => void;
  const readStarted = new Promise<void>((resolve) => (started = resolve));
  const collector = createCollector({
    name: "stuck",
    rateHz: 1,
    writer: recordingWriter(),
    signal: controller.signal,
    source: {
      read(signal) {
        started();
        return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
      },
    },
  });
  await readStarted;
  controller.abort();
  await collector.done;
  assert.equal(collector.stats().errors, 0, "an abort is not an error");
  assert.equal(collector.stats().captured, 0);
});

test("nonsense collector options are refused with InvalidOptionsError", () => {
  const signal = new AbortController().signal;
  const base = { name: "ok", rateHz: 1, writer: recordingWriter(), signal, source: { read: async () => 1 } };
  for (const bad of [{ rateHz: 0 }, { rateHz: -1 }, { rateHz: Number.POSITIVE_INFINITY }, { name: "" }, { name: "a/b" }, { method: "" }]) {
    assert.throws(
      () => createCollector({ ...base, ...bad }),
      (e: unknown) => e instanceof InvalidOptionsError && e.code === "CAPTURE_INVALID_OPTIONS",
      JSON.stringify(bad),
    );
  }
});

test("a wall clock that steps back an hour (or forward a day) restarts the schedule: no hour-long sleep, no flood of missed ticks", async () => {
  const clock = createVirtualClock(Date.UTC(2026, 0, 1));
  const controller = new AbortController();
  const writer = recordingWriter();
  let n = 0;
  const collector = createCollector({
    name: "stepping",
    rateHz: 10,
    clock,
    writer,
    signal: controller.signal,
    source: {
      async read() {
        n++;
        if (n === 20) clock.advance(-3_600_000);
        if (n === 40) clock.advance(86_400_000);
        if (n === 60) controller.abort();
        return n;
      },
    },
  });
  await collector.done;
  assert.ok(clock.sleeps.every((ms) => ms <= 100), `longest sleep ${Math.max(...clock.sleeps)} ms`);
  const stats = collector.stats();
  assert.equal(stats.clockSteps, 2);
  assert.equal(stats.missed, 0);
  assert.equal(stats.captured, 59);
  assert.ok(Math.abs(stats.effectiveRateHz - 10) < 1, `effective rate ${stats.effectiveRateHz}`);
});
