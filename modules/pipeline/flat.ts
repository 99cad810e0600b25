/**
 * `flat()`: a stage that turns a stream of batches back into a stream of items.
 *
 * @module
 */
import type { Stage } from "./stage.ts";

/**
 * A stage that emits every element of each incoming array or other (sync or async) iterable, in order. The
 * usual partner of {@link batch} when later stages want single items again.
 *
 * @example
 * ```ts
 * const items = pipeline(pages, [map(fetchPage, { concurrency: 4 }), flat<Item>()]);
 * ```
 */
export function flat<T>(): Stage<Iterable<T> | AsyncIterable<T>, T> {
  return async function* flat(input) {
    for await (const items of input) yield* items;
  };
}
