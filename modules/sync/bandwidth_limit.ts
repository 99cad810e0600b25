/**
 * A token bucket shared by every upload of an engine, so the sum of their rates stays under
 * `bandwidthBytesPerSec` (the robot's uplink is shared with everything else it does).
 *
 * @module
 */

/** Waits until `bytes` may be sent. */
export interface BandwidthLimit {
  /** Resolves once `bytes` fit in the budget; rejects when `signal` aborts. */
  take(bytes: number, signal: AbortSignal): Promise<void>;
}

/** Sleeps `ms`, rejecting at once with the signal's reason when it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** A token bucket of `bytesPerSec` with one second of burst; `undefined` or `Infinity` means no limit. */
export function bandwidthLimit(bytesPerSec: number | undefined): BandwidthLimit {
  if (bytesPerSec === undefined || bytesPerSec === Infinity) return { take: async () => {} };
  let tokens = bytesPerSec;
  let last = performance.now();
  return {
    async take(bytes, signal) {
      for (;;) {
        const now = performance.now();
        tokens = Math.min(bytesPerSec, tokens + ((now - last) / 1000) * bytesPerSec);
        last = now;
        if (tokens >= bytes || tokens >= bytesPerSec) {
          tokens -= bytes;
          return;
        }
        await sleep(Math.max(1, ((bytes - tokens) / bytesPerSec) * 1000), signal);
      }
    },
  };
}
