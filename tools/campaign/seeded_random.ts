/**
 * A small seeded pseudo-random source (mulberry32), so that every fault schedule and hostile corpus of the
 * campaign can be replayed exactly from its seed.
 *
 * @example
 * ```ts
 * const random = createSeededRandom(42);
 * const delayMs = random.int(100, 500);
 * ```
 */

/** A deterministic random source derived from one 32-bit seed. */
export interface SeededRandom {
  /** The seed it started from. */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** `n` bytes. */
  bytes(n: number): Uint8Array;
  /** A new independent source derived from this one (for a sub-schedule that must not shift the parent's). */
  fork(): SeededRandom;
}

/** Creates a seeded random source; the same seed gives the same sequence on every run and runtime. */
export function createSeededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random: SeededRandom = {
    seed: seed >>> 0,
    next,
    int(min, max) {
      return min + Math.floor(next() * (max - min + 1));
    },
    pick(items) {
      if (items.length === 0) throw new RangeError("pick from an empty list");
      return items[Math.floor(next() * items.length)]!;
    },
    bytes(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
    fork() {
      return createSeededRandom(Math.floor(next() * 4294967296));
    },
  };
  return random;
}
