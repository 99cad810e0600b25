import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCaptureWriter } from "@deckhand/capture";
import { checkCaptureWindow, readCaptureMessages } from "./capture_census.ts";

test("messages are counted per collector from real capture files; a torn file is reported, not counted", async () => {
  const dir = await mkdtemp(join(tmpdir(), "campaign-census-"));
  try {
    let now = 1_000_000;
    const writer = createCaptureWriter({ dir, flushIntervalMs: 50, maxFileBytes: 4096, clock: { now: () => now, sleep: async () => {} } });
    for (let i = 0; i < 300; i++) {
      now += 1;
      await writer.write(i % 3 === 0 ? "temp" : "pressure", "read", { v: i });
    }
    await writer.close();
    const files = (await readdir(dir)).filter((n) => n.endsWith(".mcap")).map((n) => join(dir, n));
    assert.ok(files.length > 2, "rotated into several files");
    await writeFile(join(dir, "torn.mcap"), new Uint8Array([0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a, 1, 2]));
    const census = await readCaptureMessages([...files, join(dir, "torn.mcap")]);
    assert.equal(census.messages, 300);
    assert.equal(census.byCollector.get("temp")!.length, 100);
    assert.equal(census.byCollector.get("pressure")!.length, 200);
    assert.deepEqual(census.unreadable.map((u) => u.path), [join(dir, "torn.mcap")]);
    assert.equal(census.byCollector.get("temp")![0], 1_000_001);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the window check allows loss only within the flush interval before a kill", () => {
  const times = Array.from({ length: 1000 }, (_, i) => 10_000 + i); // one message per ms from t=10000 to 10999
  const session = { startedAt: 9_000, endedAt: 12_000, killed: true, polls: [{ t: 10_500, captured: 501 }, { t: 11_900, captured: 1500 }] };
  // Only the poll at 10500 is older than the window (12000 - 1000 - 250); 501 captured by then, 1000 found.
  assert.deepEqual(checkCaptureWindow(session, times, { flushIntervalMs: 1000 }), { required: 501, found: 1000, lostBeyondWindow: 0 });
  // With a short window the poll at 11900 counts too: 1500 required, 500 lost beyond the window.
  assert.equal(checkCaptureWindow(session, times, { flushIntervalMs: 10, marginMs: 0 }).lostBeyondWindow, 500);
  // A clean stop allows no loss at all.
  assert.equal(checkCaptureWindow({ ...session, killed: false }, times, { flushIntervalMs: 1000 }).lostBeyondWindow, 500);
  // Messages outside the session do not count for it.
  assert.equal(checkCaptureWindow({ ...session, startedAt: 10_900 }, times, { flushIntervalMs: 1000 }).found, 100);
});
