import { test } from "node:test";
import assert from "node:assert/strict";
import { formatCaptureFileName, isValidCollectorName, parseCaptureFileName } from "./capture_file_name.ts";

test("capture file names round-trip through format and parse, .part and .mcap alike", () => {
  const startedAtMs = Date.UTC(2026, 10, 22, 23, 35, 49, 123);
  const part = formatCaptureFileName({ collector: "temp-module", startedAtMs, sequence: 7, finished: false });
  assert.equal(part, "temp-module_20261122T233549123Z_0000000007.mcap.part");
  assert.deepEqual(parseCaptureFileName(part), { collector: "temp-module", startedAtMs, sequence: 7, finished: false });
  const done = formatCaptureFileName({ collector: "temp-module", startedAtMs, sequence: 7, finished: true });
  assert.equal(done, "temp-module_20261122T233549123Z_0000000007.mcap");
  assert.equal(parseCaptureFileName(done)?.finished, true);
});

test("sorting names lexicographically orders a collector's files by start time, then sequence", () => {
  const names = [
    { startedAtMs: Date.UTC(2026, 0, 2), sequence: 3 },
    { startedAtMs: Date.UTC(2026, 0, 1, 12), sequence: 2 },
    { startedAtMs: Date.UTC(2026, 0, 1, 12), sequence: 10 },
    { startedAtMs: Date.UTC(2025, 11, 31), sequence: 1 },
  ].map((n) => formatCaptureFileName({ collector: "imu", finished: true, ...n }));
  assert.deepEqual(
    [...names].sort().map((n) => parseCaptureFileName(n)!.sequence),
    [1, 2, 10, 3],
  );
});

test("foreign, temporary and malformed names are not capture files", () => {
  for (const name of [
    "notes.txt",
    "temp_20261122T233549123Z_0000000007.mcap.recovering",
    "temp_20261122T233549123Z_7.mcap",
    "temp_2026-11-22_0000000007.mcap",
    "-bad_20261122T233549123Z_0000000007.mcap",
    "a_b_20261122T233549123Z_0000000007.mcap",
    "temp_20261122T233549123Z_0000000007.mcap.part.tail",
  ]) {
    assert.equal(parseCaptureFileName(name), undefined, name);
  }
});

test("collector names are limited to letters, digits and dashes so names parse unambiguously", () => {
  assert.ok(isValidCollectorName("temp-module-1"));
  for (const bad of ["", "-lead", "under_score", "dot.ted", "sl/ash", "x".repeat(65)]) assert.ok(!isValidCollectorName(bad), bad);
});
