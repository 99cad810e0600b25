/**
 * `batch()`: a stage that groups items into arrays, flushed on size, on time and at the end.
 *
 * @module
 */
import { requirePositiveInteger, requirePositiveNumber } from "./errors.ts";
import type { Stage } from "./stage.ts";
import { StageInput } from "./stage_input.ts";

/** Options of {@link batch}. */
export interface BatchOptions {
  /** The most items in one batch; a batch is emitted as soon as it has this many. */
  readonly size: number;
  /**
   * The longest the first item of a partial batch waits for more before the batch is emitted anyway. Without
   * it a partial batch waits for `size` items or the end of the input.
   */
  readonly maxWaitMs?: number;
}

const TIMED_OUT: unique symbol = Symbol("timed out");

/**
 * A stage that emits arrays of up to `size` items, in input order: when a batch is full, when its first item
 * has waited `maxWaitMs` (so a trickle of items still moves), and at the end of the input. Inside a pipeline
 * it takes every item that is already waiting in one step, without a promise per item, which is what makes
 * batched pipelines fast.
 *
 * @example
 * ```ts
 * await run(events, [batch({ size: 500, maxWaitMs: 1000 }), tap((rows: Event[]) => db.insertMany(rows))]);
 * ```
 */
export function batch<T>(options: BatchOptions): Stage<T, T[]> {
  const size = requirePositiveInteger("batch size", options?.size);
  const maxWaitMs = options.maxWaitMs === undefined ? undefined : requirePositiveNumber("batch maxWaitMs", options.maxWaitMs);
  return async function* batch(input, context) {
    const bulk = input instanceof StageInput ? (input as StageInput<T>) : undefined;
    const iterator = input[Symbol.asyncIterator]();
    let items: T[] = [];
    // A next() that lost a race against the timer; it is the next item, so it is awaited before anything else.
    let pending: Promise<IteratorResult<T>> | undefined;
    let inputEnded = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timedOut = false;
    let wake: (() => void) | undefined;
    const stopTimer = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      timedOut = false;
    };
    try {
      for (;;) {
        if (bulk && pending === undefined && items.length < size) bulk.takeAvailable(items, size - items.length);
        if (items.length >= size || (timedOut && items.length > 0)) {
          const full = items;
          items = [];
          stopTimer();
          context.setInFlight(0);
          yield full;
          continue;
        }
        context.setInFlight(items.length);
        const next = (pending ??= iterator.next());
        let result: IteratorResult<T> | typeof TIMED_OUT;
        try {
          if (maxWaitMs !== undefined && items.length > 0) {
            timer ??= setTimeout(() => {
              timedOut = true;
              wake?.();
            }, maxWaitMs);
            result = await new Promise<IteratorResult<T> | typeof TIMED_OUT>((resolve, reject) => {
              wake = () => resolve(TIMED_OUT);
              next.then(resolve, reject);
            });
            wake = undefined;
          } else {
            result = await next;
          }
        } catch (error) {
          inputEnded = true;
          throw error;
        }
        if (result === TIMED_OUT) continue;
        pending = undefined;
        if (result.done) {
          inputEnded = true;
          break;
        }
        items.push(result.value);
      }
      if (items.length > 0) {
        stopTimer();
        context.setInFlight(0);
        yield items;
      }
    } finally {
      stopTimer();
      // Leaving early (a failure, or the consumer stopped): the input will not be read again.
      if (!inputEnded) await iterator.return?.();
    }
  };
}
