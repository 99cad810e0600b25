/**
 * Time as an injectable dependency, so collectors and writers can be driven by tests without sleeping.
 *
 * @module
 */

/** The time source of collectors and writers: wall-clock milliseconds and an abortable sleep. */
export interface Clock {
  /** Milliseconds since the Unix epoch; may carry a fraction for sub-millisecond precision. May step (NTP). */
  now(): number;
  /** Resolves after `ms` milliseconds, or early (without rejecting) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A wall-clock step larger than this is followed at once; smaller differences are drift, left to the monotonic clock. */
const STEP_MS = 1000;

/**
 * A clock reading the monotonic clock (`monotonicMs`, sub-millisecond) anchored to the wall clock (`wallMs`), which
 * follows a wall-clock step of more than a second (NTP syncing after boot on a robot without a real-time clock)
 * at the next reading, in either direction. Exposed for tests; `systemClock` is one.
 */
export function createWallClock(wallMs: () => number, monotonicMs: () => number): Clock["now"] {
  let offset = wallMs() - monotonicMs();
  return () => {
    const monotonic = monotonicMs();
    const wall = wallMs();
    if (Math.abs(monotonic + offset - wall) > STEP_MS) offset = wall - monotonic;
    return monotonic + offset;
  };
}

/**
 * The real clock: epoch milliseconds with sub-millisecond precision (`performance.now()` anchored to `Date.now()`),
 * following wall-clock steps of more than a second (capture keeps log times monotonic per channel and file names
 * ordered across them), and a `setTimeout` sleep that returns early on abort.
 *
 * @example
 * ```ts
 * const started = systemClock.now();
 * await systemClock.sleep(10);
 * ```
 */
export const systemClock: Clock = {
  now: createWallClock(
    () => Date.now(),
    () => performance.now(),
  ),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener("abort", done, { once: true });
    });
  },
};
