/**
 * The concurrent `map` (`concurrency` above 1), written as a direct stage: it keeps up to `concurrency` calls
 * running and pushes results into the next queue from the calls' own callbacks, so a cheap async function
 * costs little more than its own promise.
 *
 * @module
 */
import type { BoundedQueue } from "./bounded_queue.ts";
import type { DirectRun } from "./direct_stage.ts";
import { isPromiseLike } from "./promise_like.ts";
import { StageInput } from "./stage_input.ts";

/** A call's result slot: filled when the call settles; results leave in input order when `ordered`. */
interface Slot<O> {
  settled: boolean;
  value: O | undefined;
}

/**
 * The direct run of `map(fn, { concurrency, ordered })`. All the work happens in `drive()`, called whenever
 * something changed (a call settled, the input answered, the next queue made room): it pushes every result that
 * may leave, then starts calls from what the input already holds (in bulk, no promise per item), and asks the
 * input for more (one promise) only when it holds nothing. The run itself waits only for the end, a failure,
 * a cancel, or room in the next queue.
 */
export function concurrentMap<I, O>(
  fn: (item: I, signal: AbortSignal) => O | PromiseLike<O>,
  concurrency: number,
  ordered: boolean,
): DirectRun<I, Awaited<O>> {
  type R = Awaited<O>;
  return async (input, out: BoundedQueue<R>, context) => {
    const iterator = input[Symbol.asyncIterator]();
    const bulk = input instanceof StageInput ? (input as StageInput<I>) : undefined;
    // Aborted when the run stops, when one call failed, or when nobody reads the output: running calls stop too.
    const calls = new AbortController();
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
    let driving = false;
    let again = false;
    const taken: I[] = [];

    const notify = (): void => {
      const resume = wake;
      if (resume) {
        wake = undefined;
        resume();
      }
    };
    const held = (): number => (ordered ? slots.length - slotHead : running + finished.length - finishedHead);
    const complete = (): boolean => inputDone && !pulling && held() === 0;
    // Called synchronously by the output when the next stage takes items: results then leave at once.
    const onRoom = (): void => drive();
    const fail = (error: unknown): void => {
      failure ??= { error };
    };
    // Wakes the run when it has something to decide: an end, a failure or a cancel.
    const settleRun = (): void => {
      if (wake && (ended || failure || out.cancelled || complete())) notify();
    };
    const stopCalls = (reason: unknown): void => {
      calls.abort(reason);
      notify();
    };
    const onStop = (): void => stopCalls(context.signal.reason);

    const emit = (): number => {
      let count = 0;
      if (ordered) {
        while (slotHead < slots.length && slots[slotHead]!.settled && out.hasRoom && !out.cancelled) {
          const slot = slots[slotHead]!;
          slots[slotHead++] = undefined as unknown as Slot<R>;
          out.push(slot.value as R);
          count++;
        }
        // Blocked on a full output: resume as soon as the next stage takes something.
        if (slotHead < slots.length && slots[slotHead]!.settled && !out.cancelled) out.onRoom(onRoom);
        if (slotHead > 1024 && slotHead * 2 > slots.length) {
          slots.splice(0, slotHead);
          slotHead = 0;
        }
      } else {
        while (finishedHead < finished.length && out.hasRoom && !out.cancelled) {
          const value = finished[finishedHead]!;
          finished[finishedHead++] = undefined as unknown as R;
          out.push(value);
          count++;
        }
        if (finishedHead < finished.length && !out.cancelled) out.onRoom(onRoom);
        if (finishedHead > 1024 && finishedHead * 2 > finished.length) {
          finished.splice(0, finishedHead);
          finishedHead = 0;
        }
      }
      return count;
    };
    const settle = (slot: Slot<R>, value: R): void => {
      running--;
      slot.settled = true;
      slot.value = value;
      if (!ordered) finished.push(value);
      // Ordered: only the oldest call settling can let anything leave (or, the last one, end the run).
      if (!ordered || slots[slotHead] === slot || running === 0) drive();
    };
    const onCallError = (error: unknown): void => {
      running--;
      fail(error);
      calls.abort(error);
      drive();
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
    const onInput = (result: IteratorResult<I>): void => {
      pulling = false;
      if (result.done) inputDone = true;
      // An item that arrives after the run ended is not ours to process any more.
      else if (!ended) start(result.value);
      drive();
    };
    const onInputError = (error: unknown): void => {
      pulling = false;
      inputDone = true;
      fail(error);
      drive();
    };
    // Starts calls while there is room for them: from what the input holds, else asks it for one more item.
    const fill = (): number => {
      let started = 0;
      while (!pulling && !inputDone && !failure && !ended && !out.cancelled && held() < concurrency) {
        const count = bulk ? bulk.takeAvailable(taken, concurrency - held()) : 0;
        if (count === 0) {
          pulling = true;
          iterator.next().then(onInput, onInputError);
          break;
        }
        for (let i = 0; i < count; i++) start(taken[i]!);
        taken.length = 0;
        started += count;
      }
      return started;
    };
    // Moves results out and starts new calls until neither can go further; never throws (failures are kept).
    // Re-entered (reading the input resumed the stage before, whose push resumed this one): runs again after.
    function drive(): void {
      if (driving) {
        again = true;
        return;
      }
      driving = true;
      try {
        do {
          again = false;
          if (!ended) while (emit() + fill() > 0);
        } while (again);
        if (!ended) context.setInFlight(held());
      } catch (error) {
        fail(error);
      } finally {
        driving = false;
      }
      settleRun();
    }

    if (context.signal.aborted) onStop();
    else context.signal.addEventListener("abort", onStop, { once: true });
    out.whenCancelled(() => stopCalls(context.signal.reason));
    try {
      for (;;) {
        drive();
        // Nobody reads any more: what failed since is a consequence of the stop, not the run's failure.
        if (out.cancelled) return false;
        if (failure) throw failure.error;
        if (complete()) return true;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      ended = true;
      context.signal.removeEventListener("abort", onStop);
      if (running > 0) {
        calls.abort(failure?.error ?? context.signal.reason);
        while (running > 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      }
      // Leaving early (a failure, or nobody reads): the input will not be read again.
      if (!inputDone) await iterator.return?.();
    }
  };
}
