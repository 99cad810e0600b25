import { test } from "node:test";
import assert from "node:assert/strict";
import { createWallClock, systemClock } from "./clock.ts";

test("the wall clock keeps monotonic precision, ignores drift under a second, and follows a step at the next reading", () => {
  let wall = Date.UTC(1970, 0, 2); // a robot without a real-time clock boots in 1970
  let monotonic = 5000.25;
  const now = createWallClock(() => wall, () => monotonic);
  assert.equal(now(), Date.UTC(1970, 0, 2));
  monotonic += 10.5; // sub-millisecond precision from the monotonic clock, wall clock still on the same ms
  wall += 10;
  assert.equal(now(), Date.UTC(1970, 0, 2) + 10.5);
  wall += 500; // drift (NTP slewing), not a step
  assert.equal(now(), Date.UTC(1970, 0, 2) + 10.5);
  const synced = Date.UTC(2026, 10, 29, 12);
  wall = synced; // NTP steps the clock forward
  assert.equal(now(), synced);
  monotonic += 1;
  wall = synced - 3_600_000; // and back an hour
  assert.equal(now(), synced - 3_600_000);
});

test("systemClock follows the wall clock to the millisecond", () => {
  assert.ok(Math.abs(systemClock.now() - Date.now()) <= 1000);
});
