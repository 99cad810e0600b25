// The page writes numbers twice: on the server (format.ts) and live in the browser (client.js's `fmt`). These
// tests pin the server's formats and check the client script formats every value the same way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { formatBytes, formatDuration, formatHz, formatTime } from "./format.ts";

interface ClientFormat {
  bytes(n: number): string;
  hz(n: number): string;
  duration(ms: number | null): string;
}

async function clientFormat(): Promise<ClientFormat> {
  const window: { deckhandFormat?: ClientFormat } = {};
  const source = await readFile(new URL("./client.js", import.meta.url), "utf8");
  // A page without the status page's markup: the script only publishes its formats and stops.
  runInNewContext(source, { window, document: { getElementById: () => null, querySelector: () => null } });
  assert.ok(window.deckhandFormat, "client.js publishes its formats");
  return window.deckhandFormat;
}

test("server formats: bytes in decimal units, rates, durations, UTC times", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1234567), "1.23 MB");
  assert.equal(formatBytes(12_300_000_000), "12.3 GB");
  assert.equal(formatBytes(Number.NaN), "–");
  assert.equal(formatHz(9.87), "9.9 Hz");
  assert.equal(formatDuration(15_000), "15s");
  assert.equal(formatDuration(185_000), "3m 05s");
  assert.equal(formatDuration(3_720_000), "1h 02m");
  assert.equal(formatDuration(null), "–");
  assert.equal(formatTime("2026-11-29T19:40:01.123Z"), "2026-11-29 19:40:01");
  assert.equal(formatTime("not a time"), "–");
  assert.equal(formatTime(undefined), "–");
});

test("the client script formats bytes, rates and durations exactly as the server does", async () => {
  const client = await clientFormat();
  const numbers = fc.oneof(fc.double({ noNaN: false }), fc.integer({ min: -1e15, max: 1e15 }), fc.constantFrom(0, 999, 1000, 999_999, 1e12));
  fc.assert(
    fc.property(numbers, (n) => {
      assert.equal(client.bytes(n), formatBytes(n));
      assert.equal(client.hz(n), formatHz(n));
      assert.equal(client.duration(n), formatDuration(n));
    }),
  );
  assert.equal(client.duration(null), formatDuration(null));
});
