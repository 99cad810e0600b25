import { test } from "node:test";
import assert from "node:assert/strict";
import { createSerialSource } from "./serial_source.ts";
import { createSimulatedTemperatureModule, parseTemperatureResponse } from "./simulated_temperature_module.ts";
import { createMockSerialDevice } from "./mock_serial_test_device.ts";

/** Wraps a signal's add/removeEventListener to count the "abort" listeners currently registered on it. */
function countAbortListeners(signal: AbortSignal): () => number {
  const live = new Set<unknown>();
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  type Add = typeof signal.addEventListener;
  type Remove = typeof signal.removeEventListener;
  signal.addEventListener = ((...args: Parameters<Add>) => {
    if (args[0] === "abort") live.add(args[1]);
    add(...args);
  }) as Add;
  signal.removeEventListener = ((...args: Parameters<Remove>) => {
    if (args[0] === "abort") live.delete(args[1]);
    remove(...args);
  }) as Remove;
  return () => live.size;
}

test("100,000 reads on one long-lived signal leave no abort listener behind (flat listener count)", async () => {
  const module = createSimulatedTemperatureModule({ seed: 3 });
  const path = "/dev/ttySOAK1";
  const device = createMockSerialDevice(path, (line) => module.respond(line));
  const source = createSerialSource({ path, baudRate: 115200, binding: device.binding, request: "M105\n", parse: parseTemperatureResponse });
  const signal = new AbortController().signal;
  const listeners = countAbortListeners(signal);
  const counts: number[] = [];
  try {
    for (let i = 1; i <= 100_000; i++) {
      await source.read(signal);
      if (i % 25_000 === 0) counts.push(listeners());
      // The device log would itself grow over the soak; only the source is under test.
      if (device.received.length > 1000) device.received.length = 0;
    }
  } finally {
    await source.close();
  }
  assert.deepEqual(counts, [0, 0, 0, 0], "listeners registered on the caller's signal after 25k, 50k, 75k and 100k reads");
});
