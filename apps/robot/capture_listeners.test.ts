// The app hands each collector's long-lived signal straight to capture's serial source (no per-read signal any
// more): the abort listeners on that signal must stay flat however many reads it serves (issue 13).
import { test } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { createTemperatureSource } from "./capture_service.ts";
import { simulatedTemperatureBinding } from "./simulated_serial_device.ts";

test("reads through the app's temperature source on one long-lived signal leave no abort listener behind", { timeout: 120_000 }, async () => {
  const path = "/dev/deckhand-sim/listeners";
  const source = createTemperatureSource(path, 115200, simulatedTemperatureBinding(path, 7));
  const controller = new AbortController();
  const counts: number[] = [getEventListeners(controller.signal, "abort").length];
  try {
    for (let i = 1; i <= 2000; i++) {
      const reading = await source.read(controller.signal);
      assert.equal(typeof reading.currentC, "number");
      if (i % 500 === 0) counts.push(getEventListeners(controller.signal, "abort").length);
    }
  } finally {
    controller.abort();
    await source.close();
  }
  assert.deepEqual(counts, [0, 0, 0, 0, 0], "abort listeners on the collector's signal before and after 500, 1000, 1500 and 2000 reads");
});
