/**
 * `filter()`: a stage that keeps the items a predicate accepts.
 *
 * @module
 */
import { requireFunction } from "./errors.ts";
import type { Stage } from "./stage.ts";

/**
 * A stage that emits the items for which `predicate(item, signal)` is true (or resolves to true), in order.
 * A type-guard predicate narrows the output type.
 *
 * @example
 * ```ts
 * const finished = pipeline(runs, [filter((run: Run) => run.status === "succeeded")]);
 * ```
 */
export function filter<I, O extends I>(predicate: (item: I, signal: AbortSignal) => item is O): Stage<I, O>;
/** A predicate that may be async; see the first overload. */
export function filter<I>(predicate: (item: I, signal: AbortSignal) => boolean | PromiseLike<boolean>): Stage<I, I>;
export function filter<I>(predicate: (item: I, signal: AbortSignal) => boolean | PromiseLike<boolean>): Stage<I, I> {
  requireFunction("filter predicate", predicate);
  return async function* filter(input, context) {
    for await (const item of input) {
      const keep = predicate(item, context.signal);
      if (typeof keep === "boolean" ? keep : await keep) yield item;
    }
  };
}
