/**
 * The input a stage receives inside a pipeline. It is an ordinary `AsyncIterableIterator`, so user stages
 * just `for await` over it; the ready stages also use {@link StageInput.takeAvailable} to move every item
 * that is already there without a promise per item, which is what keeps per-item overhead small.
 *
 * @module
 */

/** The internal face of a stage's input: an async iterator that can also hand over what is ready now. */
export abstract class StageInput<T> implements AsyncIterableIterator<T> {
  /** How many items the consuming stage has taken so far (progress: the stage's `in`). */
  taken = 0;

  /** Resolves with the next item, or `done` at the end; rejects with the run's stop reason once it stops. */
  abstract next(): Promise<IteratorResult<T, undefined>>;

  /**
   * Moves up to `max` items that are available without waiting into `into`, in order, and returns how many.
   * Never waits and never skips ahead of an outstanding `next()` (callers must not have one pending).
   */
  abstract takeAvailable(into: T[], max: number): number;

  /** How many items wait in this input's queue (progress: the stage's `queued`). */
  abstract get buffered(): number;

  /**
   * Tells the producer that nobody will read further: it stops, and the stop travels upstream to the source.
   * Idempotent; resolves once this input's own producer side has been told (and, for a source, closed).
   */
  abstract close(): Promise<void>;

  /** Stops the input for a shutdown: waiting and future reads reject with `reason`. */
  abstract abort(reason: unknown): void;

  /** Called by `for await` when the loop exits early: closes the input. */
  async return(): Promise<IteratorResult<T, undefined>> {
    await this.close();
    return { done: true, value: undefined };
  }

  /** Returns the input itself: it is iterated once. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * A synchronous source (an array, a `Set`, a generator) read on demand by the first stage. A synchronous
 * iterator cannot run concurrently with anything, so it has no queue: it is pulled exactly when, and as far
 * as, the first stage asks.
 */
export class IteratorInput<T> extends StageInput<T> {
  readonly #iterator: Iterator<T>;
  readonly #onError: (error: unknown) => void;
  #done = false;
  #stopped: { reason: unknown } | undefined;
  #closing: Promise<void> | undefined;

  /** Reads `iterator`; a throw from the iterator is reported to `onError` (as the source's failure) and rethrown. */
  constructor(iterator: Iterator<T>, onError: (error: unknown) => void) {
    super();
    this.#iterator = iterator;
    this.#onError = onError;
  }

  get buffered(): number {
    return 0;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#stopped) return Promise.reject(this.#stopped.reason);
    if (this.#done) return Promise.resolve({ done: true, value: undefined });
    const result = this.#pull();
    if (result.done) return Promise.resolve({ done: true, value: undefined });
    this.taken++;
    return Promise.resolve(result);
  }

  takeAvailable(into: T[], max: number): number {
    if (this.#stopped || this.#done) return 0;
    let count = 0;
    while (count < max) {
      const result = this.#pull();
      if (result.done) break;
      into.push(result.value);
      count++;
    }
    this.taken += count;
    return count;
  }

  #pull(): IteratorResult<T> {
    try {
      const result = this.#iterator.next();
      if (result.done) this.#done = true;
      return result;
    } catch (error) {
      this.#done = true;
      this.#onError(error);
      throw error;
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#closeIterator();
    return this.#closing;
  }

  async #closeIterator(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    try {
      this.#iterator.return?.();
    } catch (error) {
      this.#onError(error);
    }
  }

  abort(reason: unknown): void {
    this.#stopped ??= { reason };
  }
}
