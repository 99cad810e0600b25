/**
 * `tap()`: a stage that runs a side effect for every item and passes the item on unchanged.
 *
 * @module
 */
import { requireFunction } from "./errors.ts";
import { isPromiseLike } from "./promise_like.ts";
import type { Stage } from "./stage.ts";

/**
 * A stage that calls `fn(item, signal)` for every item, waits for it if it returns a promise, then emits the
 * item unchanged. Use it for writes, logging and metrics between stages; a throw fails the run.
 *
 * @example
 * ```ts
 * await run(batches, [tap((rows: Row[]) => db.insertMany(rows))]);
 * ```
 */
export function tap<T>(fn: (item: T, signal: AbortSignal) => unknown): Stage<T, T> {
  requireFunction("tap fn", fn);
  return async function* tap(input, context) {
    for await (const item of input) {
      const effect = fn(item, context.signal);
      if (isPromiseLike(effect)) await effect;
      yield item;
    }
  };
}
