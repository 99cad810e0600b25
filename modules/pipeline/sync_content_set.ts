/**
 * `syncContentSet()`: the declarative way to fill a target. Say which items it must hold, compared by a
 * natural key; the missing ones are added and, in mirror mode, the extra ones removed, streaming and batched.
 *
 * @module
 */
import { batch } from "./batch.ts";
import { InvalidOptionsError, requireFunction, requirePositiveInteger } from "./errors.ts";
import { map } from "./map.ts";
import { run } from "./pipeline.ts";
import type { Source } from "./pipeline_run.ts";
import { named } from "./stage.ts";
import { tap } from "./tap.ts";

/**
 * Where the content set lives (a table, a bucket, a directory). Every call receives the run's `signal`.
 * `keys` and `remove` are needed only in mirror mode.
 */
export interface ContentTarget<T> {
  /** Returns which of `keys` (one batch, sorted) the target already holds. */
  has(keys: readonly string[], signal: AbortSignal): Iterable<string> | Promise<Iterable<string>>;
  /** Adds `items` (one batch of missing items, sorted by key). */
  add(items: readonly T[], signal: AbortSignal): unknown;
  /** Lists every key the target holds (mirror mode). */
  keys?(signal: AbortSignal): Iterable<string> | AsyncIterable<string>;
  /** Removes `keys` (one batch, sorted) from the target (mirror mode). */
  remove?(keys: readonly string[], signal: AbortSignal): unknown;
}

/** Options of {@link syncContentSet}. */
export interface SyncContentSetOptions<T> {
  /** The items the target must hold; read once, as a stream. Later items with an already seen key are ignored. */
  readonly desired: Source<T>;
  /** The natural key of an item: two items with the same key are the same content. */
  readonly key: (item: T) => string;
  /** The target to change. */
  readonly target: ContentTarget<T>;
  /** `"additive"` (default): add what is missing. `"mirror"`: also remove what is not desired. */
  readonly mode?: "mirror" | "additive";
  /** Items per `has`/`add`/`remove` call (default 500). */
  readonly batchSize?: number;
  /** Aborting it stops the sync; it rejects with an `AbortError`. Completed target calls stay done. */
  readonly signal?: AbortSignal;
}

/** What {@link syncContentSet} changed. */
export interface SyncContentSetResult {
  /** Desired items the target did not hold, now added. */
  readonly added: number;
  /** Keys the target held that were not desired, now removed (mirror mode only). */
  readonly removed: number;
  /** Desired items the target already held. */
  readonly unchanged: number;
}

/** The default `batchSize` of {@link syncContentSet}. */
export const DEFAULT_SYNC_BATCH_SIZE = 500;

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Makes `target` hold exactly (`mode: "mirror"`) or at least (`mode: "additive"`) the `desired` items,
 * compared by `key`. The desired stream is read once, in batches of `batchSize`: for each batch `has` asks
 * which keys exist and `add` adds the missing items, while the next batch is already being checked. In mirror
 * mode, `keys` then lists the target and `remove` drops every key that was not desired. Each `has`, `add` and
 * `remove` call receives its batch in ascending key order (removals are in ascending order across calls too),
 * so concurrent writers take locks in one order. The desired keys are kept in memory for the run (needed to
 * know what mirror mode must drop, and to skip duplicates).
 *
 * Not a transaction: after a crash or abort, the target holds the batches that were completed. Running the
 * same sync again converges to the same end state.
 *
 * @example
 * ```ts
 * const result = await syncContentSet({
 *   desired: remoteIndex.entries(),
 *   key: (entry: Entry) => entry.digest,
 *   target: libraryTable,
 *   mode: "mirror",
 * });
 * console.log(`+${result.added} -${result.removed} =${result.unchanged}`);
 * ```
 */
export async function syncContentSet<T>(options: SyncContentSetOptions<T>): Promise<SyncContentSetResult> {
  if (typeof options !== "object" || options === null) throw new InvalidOptionsError("syncContentSet needs an options object");
  const { desired, key, target, signal } = options;
  const mode = options.mode ?? "additive";
  const batchSize = requirePositiveInteger("batchSize", options.batchSize ?? DEFAULT_SYNC_BATCH_SIZE);
  requireFunction("key", key);
  if (typeof target !== "object" || target === null) throw new InvalidOptionsError("target must be an object");
  requireFunction("target.has", target.has);
  requireFunction("target.add", target.add);
  if (mode !== "mirror" && mode !== "additive") {
    throw new InvalidOptionsError(`mode must be "mirror" or "additive", got ${String(mode)}`);
  }
  if (mode === "mirror") {
    requireFunction("target.keys (needed in mirror mode)", target.keys);
    requireFunction("target.remove (needed in mirror mode)", target.remove);
  }
  const pipelineOptions = signal ? { signal } : {};
  const seen = new Set<string>();
  let added = 0;
  let unchanged = 0;
  interface Keyed {
    readonly key: string;
    readonly item: T;
  }
  await run(desired, [
    named("key", async function* (items: AsyncIterable<T>): AsyncIterable<Keyed> {
      for await (const item of items) {
        const k = key(item);
        if (typeof k !== "string") throw new InvalidOptionsError(`key(item) must return a string, got ${typeof k}`);
        if (seen.has(k)) continue;
        seen.add(k);
        yield { key: k, item };
      }
    }),
    batch<Keyed>({ size: batchSize }),
    named(
      "has",
      map(async (entries: Keyed[], abort: AbortSignal) => {
        entries.sort((a, b) => compareKeys(a.key, b.key));
        const existing = new Set(await target.has(entries.map((entry) => entry.key), abort));
        const missing = entries.filter((entry) => !existing.has(entry.key));
        unchanged += entries.length - missing.length;
        return missing;
      }),
    ),
    named(
      "add",
      tap(async (missing: Keyed[], abort: AbortSignal) => {
        if (missing.length === 0) return;
        await target.add(missing.map((entry) => entry.item), abort);
        added += missing.length;
      }),
    ),
  ], pipelineOptions);
  if (mode === "additive") return { added, removed: 0, unchanged };

  const listKeys = target.keys!.bind(target);
  const removeKeys = target.remove!.bind(target);
  const stale: string[] = [];
  // A target may list a key more than once (a paged listing that shifted, a multi-version bucket): remove it once.
  const listed = new Set<string>();
  await run([listKeys], [
    named("keys", async function* (lists: AsyncIterable<typeof listKeys>, context): AsyncIterable<string> {
      for await (const list of lists) {
        for await (const k of list(context.signal)) {
          if (seen.has(k) || listed.has(k)) continue;
          listed.add(k);
          yield k;
        }
      }
    }),
    named("collect", tap((k: string) => stale.push(k))),
  ], pipelineOptions);
  // Collected first, removed after: removing while the target lists its keys could skip or repeat some.
  stale.sort(compareKeys);
  let removed = 0;
  await run(stale, [
    batch<string>({ size: batchSize }),
    named(
      "remove",
      tap(async (keys: string[], abort: AbortSignal) => {
        await removeKeys(keys, abort);
        removed += keys.length;
      }),
    ),
  ], pipelineOptions);
  return { added, removed, unchanged };
}
