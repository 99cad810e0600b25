/**
 * Time as an injectable dependency, so collectors and writers can be driven by tests without sleeping.
 *
 * @module
 */

/** The time source of collectors and writers: wall-clock milliseconds and an abortable sleep. */
export interface Clock {
  /** Milliseconds since the Unix epoch; may carry a fraction for sub-millisecond precision. */
  now(): number;
  /** Resolves after `ms` milliseconds, or early (without rejecting) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The real clock: epoch milliseconds with sub-millisecond precision (`performance.timeOrigin + performance.now()`)
 * and a `setTimeout` sleep that returns early on abort.
 *
 * @example
 * ```ts
 * const started = systemClock.now();
 * await systemClock.sleep(10);
 * ```
 */
export const systemClock: Clock = {
  now(): number {
    return performance.timeOrigin + performance.now();
  },
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
