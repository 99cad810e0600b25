/**
 * `dedupe()`: a stage that drops items whose key was already seen in this run.
 *
 * @module
 */
import { requireFunction } from "./errors.ts";
import type { Stage } from "./stage.ts";

/**
 * A stage that emits an item only the first time its key (`key(item)`, compared like `Set` members) is seen
 * in this run, and drops later items with the same key. It remembers every key it has seen, so its memory
 * grows with the number of distinct keys, not with the number of items.
 *
 * @example
 * ```ts
 * const unique = pipeline(commands, [dedupe((command: Command) => command.id)]);
 * ```
 */
export function dedupe<T>(key: (item: T) => unknown = (item) => item): Stage<T, T> {
  requireFunction("dedupe key", key);
  return async function* dedupe(input) {
    const seen = new Set<unknown>();
    for await (const item of input) {
      const k = key(item);
      if (seen.has(k)) continue;
      seen.add(k);
      yield item;
    }
  };
}
