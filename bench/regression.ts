/**
 * The benchmark regression rule: a contender's ratio to its own baseline may not fall more than
 * `tolerance` (25%) below the ratio committed in `bench/baseline.json` for the same mode. Ratios, not times,
 * are compared, because the machines that run CI are noisy but both sides of a ratio share that noise.
 */
import { ratioKey, type SuiteResult } from "./harness.ts";

/** Committed ratios per mode, keyed `suite/group/task`, as stored in `bench/baseline.json`. */
export interface CommittedRatios {
  readonly quick: Readonly<Record<string, number>>;
  readonly full: Readonly<Record<string, number>>;
}

/** One contender's comparison with its committed ratio. */
export interface RatioCheck {
  readonly key: string;
  readonly ratio: number;
  /** The committed ratio, or undefined when this contender has none yet. */
  readonly committed: number | undefined;
  readonly regressed: boolean;
}

/** The default tolerance: a ratio may drop to 75% of the committed one before the check fails. */
export const DEFAULT_TOLERANCE = 0.25;

/** Compares every contender (not the baselines, not reference rows) of a suite result with the committed ratios of its mode. */
export function checkRatios(
  result: SuiteResult,
  committed: CommittedRatios,
  tolerance: number = DEFAULT_TOLERANCE,
): RatioCheck[] {
  const table = result.quick ? committed.quick : committed.full;
  return result.rows
    .filter((row) => !row.isBaseline && !row.isReference)
    .map((row) => {
      const key = ratioKey(result.suite, row.group, row.task);
      const previous = table[key];
      return {
        key,
        ratio: row.ratio,
        committed: previous,
        regressed: previous !== undefined && row.ratio < previous * (1 - tolerance),
      };
    });
}

/** Merges several attempts at one suite: for each key the best ratio seen, so one noisy attempt cannot fail CI. */
export function bestOf(attempts: readonly RatioCheck[][]): RatioCheck[] {
  const best = new Map<string, RatioCheck>();
  for (const attempt of attempts) {
    for (const check of attempt) {
      const seen = best.get(check.key);
      if (!seen || check.ratio > seen.ratio) best.set(check.key, check);
    }
  }
  return [...best.values()];
}

/**
 * Returns committed ratios with this run's contender ratios written in for the run's mode. Where `results`
 * holds several measurements of one contender (repeated attempts), the lowest is kept: a conservative
 * reference, so that noise alone does not fail a later check.
 */
export function withRatios(committed: CommittedRatios, results: readonly SuiteResult[]): CommittedRatios {
  const quick = { ...committed.quick };
  const full = { ...committed.full };
  const written = new Set<string>();
  for (const result of results) {
    const table = result.quick ? quick : full;
    for (const row of result.rows) {
      if (row.isBaseline || row.isReference) continue;
      const key = ratioKey(result.suite, row.group, row.task);
      const ratio = Number(row.ratio.toFixed(4));
      table[key] = written.has(key) ? Math.min(table[key]!, ratio) : ratio;
      written.add(key);
    }
  }
  const sorted = (t: Record<string, number>) => Object.fromEntries(Object.entries(t).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { quick: sorted(quick), full: sorted(full) };
}
