/**
 * `map()`: a stage that transforms each item with a sync or async function, optionally several at a time.
 *
 * @module
 */
import { requireFunction, requirePositiveInteger } from "./errors.ts";
import type { Stage } from "./stage.ts";
import { StageInput } from "./stage_input.ts";

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
  return concurrentMap(fn, concurrency, ordered);
}

/** A call's result slot: filled when the call settles; results leave in input order when `ordered`. */
interface Slot<O> {
  settled: boolean;
  value: O | undefined;
}

/**
 * The concurrent `map`: keeps up to `concurrency` calls running. Its bookkeeping is kept off the per-item path
 * as far as it goes: items already waiting in the input are taken in bulk without a promise each, a call that
 * returns a plain value settles at once, one `then` per async call, and the stage waits (one promise) only when
 * it has nothing to emit and nothing to start.
 */
function concurrentMap<I, O>(
  fn: (item: I, signal: AbortSignal) => O | PromiseLike<O>,
  concurrency: number,
  ordered: boolean,
): Stage<I, Awaited<O>> {
  type R = Awaited<O>;
  return async function* map(input, context) {
    const iterator = input[Symbol.asyncIterator]();
    const bulk = input instanceof StageInput ? (input as StageInput<I>) : undefined;
    // Aborted when the run stops or when one call failed, so the calls still running stop too.
    const calls = new AbortController();
    const forwardAbort = (): void => calls.abort(context.signal.reason);
    if (context.signal.aborted) forwardAbort();
    else context.signal.addEventListener("abort", forwardAbort, { once: true });
    // Ordered: every started call's slot, oldest first (the head leaves once settled). Unordered: settled values.
    const slots: Slot<R>[] = [];
    let slotHead = 0;
    const finished: R[] = [];
    let finishedHead = 0;
    let running = 0;
    let failure: { error: unknown } | undefined;
    let pulling = false;
    let inputDone = false;
    let ended = false;
    let wake: (() => void) | undefined;
    const taken: I[] = [];
    const notify = (): void => {
      const resume = wake;
      if (resume) {
        wake = undefined;
        resume();
      }
    };
    // Whether the stage has something to emit now: only then is it worth resuming it.
    const ready = (): boolean => (ordered ? slotHead < slots.length && slots[slotHead]!.settled : finishedHead < finished.length);
    // A function, not an inline check: calls fail in callbacks, which flow analysis cannot see.
    const throwIfFailed = (): void => {
      if (failure) throw failure.error;
    };
    const held = (): number => (ordered ? slots.length - slotHead : running + finished.length - finishedHead);
    const fail = (error: unknown): void => {
      failure ??= { error };
    };
    const settle = (slot: Slot<R>, value: R): void => {
      running--;
      slot.settled = true;
      slot.value = value;
      if (!ordered) finished.push(value);
      // Ordered: a call that is not the oldest cannot be emitted yet. The last call to settle always wakes.
      if (!ordered || slots[slotHead] === slot || running === 0) notify();
    };
    const onCallError = (error: unknown): void => {
      running--;
      fail(error);
      notify();
    };
    const start = (item: I): void => {
      const slot: Slot<R> = { settled: false, value: undefined };
      if (ordered) slots.push(slot);
      let result: O | PromiseLike<O>;
      try {
        result = fn(item, calls.signal);
      } catch (error) {
        fail(error);
        return;
      }
      if (!isPromiseLike(result)) {
        slot.settled = true;
        slot.value = result as R;
        if (!ordered) finished.push(result as R);
        return;
      }
      running++;
      result.then((value) => settle(slot, value as R), onCallError);
    };
    // The input's answers; defined once, not per pull.
    const onInput = (result: IteratorResult<I>): void => {
      pulling = false;
      if (result.done) {
        inputDone = true;
        notify();
        return;
      }
      // An input that answers after the stage ended: the item is not ours to process any more.
      if (ended) return;
      start(result.value);
      // Started from here, so the stage need not resume for it; it resumes when there is a result.
      fill();
      if (ready() || failure) notify();
    };
    const onInputError = (error: unknown): void => {
      pulling = false;
      inputDone = true;
      fail(error);
      notify();
    };
    const pull = (): void => {
      pulling = true;
      iterator.next().then(onInput, onInputError);
    };
    const fill = (): void => {
      while (!pulling && !inputDone && !failure && !ended && held() < concurrency) {
        const room = concurrency - held();
        const count = bulk ? bulk.takeAvailable(taken, room) : 0;
        if (count === 0) {
          pull();
          return;
        }
        for (let i = 0; i < count; i++) start(taken[i]!);
        taken.length = 0;
      }
    };
    try {
      for (;;) {
        throwIfFailed();
        fill();
        if (ordered) {
          while (slotHead < slots.length && slots[slotHead]!.settled) {
            const slot = slots[slotHead]!;
            slots[slotHead++] = undefined as unknown as Slot<R>;
            if (slotHead > 1024 && slotHead * 2 > slots.length) {
              slots.splice(0, slotHead);
              slotHead = 0;
            }
            context.setInFlight(held());
            yield slot.value as R;
            throwIfFailed();
            fill();
          }
        } else {
          while (finishedHead < finished.length) {
            const value = finished[finishedHead]!;
            finished[finishedHead++] = undefined as unknown as R;
            if (finishedHead > 1024 && finishedHead * 2 > finished.length) {
              finished.splice(0, finishedHead);
              finishedHead = 0;
            }
            context.setInFlight(held());
            yield value;
            throwIfFailed();
            fill();
          }
        }
        context.setInFlight(held());
        if (inputDone && !pulling && held() === 0) return;
        if (failure) continue;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      ended = true;
      context.signal.removeEventListener("abort", forwardAbort);
      if (running > 0) {
        calls.abort(failure?.error ?? context.signal.reason);
        while (running > 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
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
