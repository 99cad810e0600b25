/**
 * `map()`: a stage that transforms each item with a sync or async function, optionally several at a time.
 *
 * @module
 */
import { requireFunction, requirePositiveInteger } from "./errors.ts";
import type { Stage } from "./stage.ts";
import { concurrentMap } from "./concurrent_map.ts";
import { directStage } from "./direct_stage.ts";
import { isPromiseLike } from "./promise_like.ts";

/** Options of {@link map}. */
export interface MapOptions {
  /** How many calls of `fn` may run at once (default 1). The stage holds at most this many items. */
  readonly concurrency?: number;
  /**
   * Whether results come out in input order (default true). When false, each result is emitted as soon as
   * its call finishes, so one slow item does not hold back the others.
   */
  readonly ordered?: boolean;
}

/**
 * A stage that calls `fn(item, signal)` for every item and emits the results. With `concurrency` above 1,
 * up to that many calls run at once; results keep the input order unless `ordered: false`. `signal` aborts
 * when the run stops (abort, a failure elsewhere, the consumer leaving) or when another call of this stage
 * failed: pass it on to anything that waits. If a call throws, the stage waits for the calls still running
 * and then fails with that error.
 *
 * @example
 * ```ts
 * const sizes = pipeline(urls, [
 *   map(async (url: string, signal) => (await fetch(url, { signal })).headers.get("content-length"), {
 *     concurrency: 8,
 *   }),
 * ]);
 * ```
 */
export function map<I, O>(
  fn: (item: I, signal: AbortSignal) => O | PromiseLike<O>,
  options: MapOptions = {},
): Stage<I, Awaited<O>> {
  requireFunction("map fn", fn);
  const concurrency = requirePositiveInteger("map concurrency", options.concurrency ?? 1);
  const ordered = options.ordered ?? true;
  if (concurrency === 1) {
    return async function* map(input, context) {
      for await (const item of input) {
        const result = fn(item, context.signal);
        yield (isPromiseLike(result) ? await result : result) as Awaited<O>;
      }
    };
  }
  return directStage("map", concurrentMap(fn, concurrency, ordered));
}
