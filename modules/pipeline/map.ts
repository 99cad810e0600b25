/**
 * `map()`: a stage that transforms each item with a sync or async function, optionally several at a time.
 *
 * @module
 */
import { requireFunction, requirePositiveInteger } from "./errors.ts";
import type { Stage } from "./stage.ts";

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

type Slot<O> = { settled: false } | { settled: true; value: O };

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
  return async function* map(input, context) {
    const iterator = input[Symbol.asyncIterator]();
    // Aborted when the run stops or when one call failed, so the calls still running stop too.
    const calls = new AbortController();
    const forwardAbort = (): void => calls.abort(context.signal.reason);
    if (context.signal.aborted) forwardAbort();
    else context.signal.addEventListener("abort", forwardAbort, { once: true });
    const slots: Slot<Awaited<O>>[] = [];
    const finished: Awaited<O>[] = [];
    const running = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    let pulling = false;
    let inputDone = false;
    let ended = false;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const resume = wake;
      wake = undefined;
      resume?.();
    };
    // A function, not an inline check: calls fail in callbacks, which flow analysis cannot see.
    const throwIfFailed = (): void => {
      if (failure) throw failure.error;
    };
    const held = (): number => (ordered ? slots.length : running.size + finished.length);
    const start = (item: I): void => {
      const slot: Slot<Awaited<O>> = { settled: false };
      if (ordered) slots.push(slot);
      let call: Promise<void>;
      try {
        call = Promise.resolve(fn(item, calls.signal)).then(
          (value) => {
            if (ordered) Object.assign(slot, { settled: true, value });
            else finished.push(value);
          },
          (error: unknown) => {
            failure ??= { error };
          },
        );
      } catch (error) {
        failure ??= { error };
        call = Promise.resolve();
      }
      const tracked = call.then(() => {
        running.delete(tracked);
        notify();
      });
      running.add(tracked);
    };
    const pull = (): void => {
      pulling = true;
      iterator.next().then(
        (result) => {
          pulling = false;
          if (result.done) inputDone = true;
          // An input that answers after the stage ended: the item is not ours to process any more.
          else if (!ended) start(result.value);
          notify();
        },
        (error: unknown) => {
          pulling = false;
          inputDone = true;
          failure ??= { error };
          notify();
        },
      );
    };
    try {
      for (;;) {
        throwIfFailed();
        if (ordered) {
          while (slots.length > 0 && slots[0]!.settled) {
            const slot = slots.shift() as { settled: true; value: Awaited<O> };
            context.setInFlight(held());
            yield slot.value;
            throwIfFailed();
          }
        } else {
          while (finished.length > 0) {
            const value = finished.shift() as Awaited<O>;
            context.setInFlight(held());
            yield value;
            throwIfFailed();
          }
        }
        if (!pulling && !inputDone && held() < concurrency) pull();
        context.setInFlight(held());
        if (inputDone && !pulling && held() === 0) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      ended = true;
      context.signal.removeEventListener("abort", forwardAbort);
      if (running.size > 0) {
        calls.abort(failure?.error ?? context.signal.reason);
        await Promise.all(running);
      }
      // Leaving early (a failure, or the consumer stopped): the input will not be read again.
      if (!inputDone) await iterator.return?.();
    }
  };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}
