import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSerialSource } from "./serial_source.ts";
import { createSimulatedTemperatureModule, parseTemperatureResponse } from "./simulated_temperature_module.ts";
import type { TemperatureReading } from "./simulated_temperature_module.ts";
import { createCaptureWriter } from "./capture_writer.ts";
import { createCollector } from "./collector.ts";
import { InvalidOptionsError, SourceDisconnectedError } from "./errors.ts";
import { createMockSerialDevice } from "./mock_serial_test_device.ts";
import { readIndexed } from "./mcap_read_test_support.ts";
import { createVirtualClock } from "./virtual_clock_test_support.ts";
import { systemClock } from "./clock.ts";

// The device is @serialport/binding-mock (real @serialport/stream on top) answering as the simulated module.
let ports = 0;
function temperatureDevice(seed = 1) {
  const module = createSimulatedTemperatureModule({ seed });
  const path = `/dev/ttyMOCK${++ports}`;
  return { path, device: createMockSerialDevice(path, (line) => module.respond(line)) };
}

test("a serial source polls M105 and resolves with the parsed answer, skipping ok lines", async () => {
  const { path, device } = temperatureDevice();
  const source = createSerialSource({ path, baudRate: 115200, binding: device.binding, request: "M105\n", parse: parseTemperatureResponse });
  const signal = new AbortController().signal;
  try {
    const readings: TemperatureReading[] = [];
    for (let i = 0; i < 5; i++) readings.push(await source.read(signal));
    const expected = createSimulatedTemperatureModule({ seed: 1 });
    for (const reading of readings) assert.deepEqual(reading, parseTemperatureResponse(expected.respond("M105").split("\r\n")[0]!));
    assert.deepEqual(device.received, ["M105", "M105", "M105", "M105", "M105"]);
    assert.equal(source.stats().connected, true);
  } finally {
    await source.close();
  }
});

test("unplug fails reads with SourceDisconnectedError; after replug it reconnects with backoff and counts the gap", async () => {
  const { path, device } = temperatureDevice();
  // Virtual time for the backoff and the gap; real sleeps for the answer timeout.
  const virtual = createVirtualClock(0);
  const clock = { now: virtual.now, sleep: systemClock.sleep, advance: virtual.advance };
  const source = createSerialSource({
    path,
    baudRate: 9600,
    binding: device.binding,
    request: "M105\n",
    parse: parseTemperatureResponse,
    backoff: { initialMs: 100, maxMs: 400 },
    clock,
  });
  const signal = new AbortController().signal;
  try {
    await source.read(signal);
    device.unplug();
    // The disconnect reaches the stream asynchronously; the next read either sees it or fails its write.
    await assert.rejects(source.read(signal), SourceDisconnectedError);
    assert.equal(source.stats().connected, false);
    assert.equal(source.stats().disconnects, 1);
    // Still unplugged: each attempt waits out the backoff (100, then 200, then 400 capped).
    await assert.rejects(source.read(signal), /next attempt in 100 ms/);
    clock.advance(100);
    await assert.rejects(source.read(signal), /could not open/);
    await assert.rejects(source.read(signal), /next attempt in 200 ms/);
    clock.advance(200);
    await assert.rejects(source.read(signal), /could not open/);
    await assert.rejects(source.read(signal), /next attempt in 400 ms/);
    device.replug();
    clock.advance(400);
    const reading = await source.read(signal);
    assert.equal(typeof reading.currentC, "number");
    const stats = source.stats();
    assert.equal(stats.reconnects, 1);
    assert.equal(stats.gapMs, 700);
    assert.equal(stats.connected, true);
  } finally {
    await source.close();
  }
});

test("after a backward wall-clock step an unplugged device is retried at once, not after the step, and the gap never goes negative", async () => {
  const { path, device } = temperatureDevice();
  const virtual = createVirtualClock(Date.UTC(2026, 0, 1));
  const clock = { now: virtual.now, sleep: systemClock.sleep, advance: virtual.advance };
  const source = createSerialSource({
    path, baudRate: 9600, binding: device.binding, request: "M105\n", parse: parseTemperatureResponse, backoff: { initialMs: 100, maxMs: 400 }, clock,
  });
  const signal = new AbortController().signal;
  try {
    await source.read(signal);
    device.unplug();
    await assert.rejects(source.read(signal), SourceDisconnectedError);
    await assert.rejects(source.read(signal), /next attempt in 100 ms/);
    device.replug();
    clock.advance(-3_600_000); // NTP steps the clock back an hour
    const reading = await source.read(signal);
    assert.equal(typeof reading.currentC, "number");
    assert.equal(source.stats().reconnects, 1);
    assert.equal(source.stats().gapMs, 0);
  } finally {
    await source.close();
  }
});

test("a device that stops answering times out, is reopened, and reads resume", async () => {
  let silent = false;
  const module = createSimulatedTemperatureModule({ seed: 2 });
  const path = `/dev/ttyMOCK${++ports}`;
  const device = createMockSerialDevice(path, (line) => (silent ? undefined : module.respond(line)));
  const source = createSerialSource({
    path,
    baudRate: 9600,
    binding: device.binding,
    request: "M105\n",
    parse: parseTemperatureResponse,
    responseTimeoutMs: 30,
    backoff: { initialMs: 1, maxMs: 1 },
  });
  const signal = new AbortController().signal;
  try {
    await source.read(signal);
    silent = true;
    await assert.rejects(source.read(signal), /did not answer within 30 ms/);
    silent = false;
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(typeof (await source.read(signal)).currentC, "number");
    assert.equal(source.stats().reconnects, 1);
  } finally {
    await source.close();
  }
});

test("a collector over a serial device that is unplugged and replugged captures before and after, counting the gap", async () => {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-"));
  const { path, device } = temperatureDevice(5);
  const source = createSerialSource({
    path, baudRate: 115200, binding: device.binding, request: "M105\n", parse: parseTemperatureResponse, backoff: { initialMs: 5, maxMs: 20 },
  });
  const writer = createCaptureWriter({ dir });
  const controller = new AbortController();
  try {
    const collector = createCollector({ name: "temp-module", method: "M105", source, rateHz: 500, writer, signal: controller.signal });
    const until = async (predicate: () => boolean) => {
      while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 2));
    };
    await until(() => collector.stats().captured >= 10);
    device.unplug();
    await until(() => collector.stats().errors >= 3);
    const capturedWhileUnplugged = collector.stats().captured;
    device.replug();
    await until(() => collector.stats().captured >= capturedWhileUnplugged + 10);
    controller.abort();
    await collector.done;
    await writer.close();
    const stats = source.stats();
    assert.equal(stats.disconnects, 1);
    assert.equal(stats.reconnects, 1);
    assert.ok(stats.gapMs > 0);
    assert.ok(collector.stats().lastError instanceof SourceDisconnectedError);
    const [file] = await readdir(dir);
    const all = (await readIndexed(join(dir, file!))).messages;
    const messages = all.filter((m) => m.topic === "/temp-module/M105");
    assert.equal(messages.length, collector.stats().captured);
    assert.ok(messages.every((m) => typeof (m.value as TemperatureReading).currentC === "number"));
    // The unplug is logged once on the collector's foxglove.Log channel, and so is the recovery.
    const log = all.filter((m) => m.topic === "/temp-module/log").map((m) => (m.value as { level: number }).level);
    assert.deepEqual(log, [4, 2]);
  } finally {
    controller.abort();
    await source.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a streaming device (no poll) is read line by line, and a backlog beyond 1024 lines is bounded and counted", async () => {
  const path = `/dev/ttyMOCK${++ports}`;
  const device = createMockSerialDevice(path, () => undefined);
  const source = createSerialSource({ path, baudRate: 9600, binding: device.binding, parse: (line) => Number(line.slice(2)) });
  const signal = new AbortController().signal;
  try {
    const first = source.read(signal); // opens the port and waits for a line
    await new Promise((resolve) => setTimeout(resolve, 10));
    device.emit("n=0\r\n");
    assert.equal(await first, 0);
    device.emit(Array.from({ length: 1100 }, (_, i) => `n=${i + 1}\n`).join(""));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await source.read(signal), 77); // lines 1..76 were the oldest beyond the bound
    assert.equal(await source.read(signal), 78);
    assert.equal(source.stats().discardedLines, 76);
  } finally {
    await source.close();
  }
});

test("nonsense serial options are refused with InvalidOptionsError", () => {
  const { path, device } = temperatureDevice();
  const base = { path, baudRate: 9600, binding: device.binding, parse: parseTemperatureResponse };
  for (const bad of [{ baudRate: 0 }, { responseTimeoutMs: 0 }, { backoff: { initialMs: -1 } }, { backoff: { initialMs: 100, maxMs: 10 } }, { path: "" }]) {
    assert.throws(() => createSerialSource({ ...base, ...bad }), InvalidOptionsError, JSON.stringify(bad));
  }
});
