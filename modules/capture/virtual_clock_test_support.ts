/**
 * Test support (not published): a virtual clock whose `sleep` advances time at once, so collector loops run
 * thousands of ticks without waiting, and tests can move time (`advance`) to simulate slow reads.
 */
import type { Clock } from "./clock.ts";

/** A clock that only moves when told to (or when slept on). */
export interface VirtualClock extends Clock {
  advance(ms: number): void;
  /** Every sleep duration requested, in order. */
  readonly sleeps: number[];
}

/** Creates a virtual clock starting at `startMs`. */
export function createVirtualClock(startMs: number = Date.UTC(2026, 0, 1)): VirtualClock {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    async sleep(ms: number, signal?: AbortSignal) {
      sleeps.push(ms);
      if (signal?.aborted) return;
      now += ms;
    },
  };
}
