/**
 * The bounded queue between two stages: the producer side waits while it is full, which is what makes a slow
 * stage hold back the stages before it and keeps memory bounded however long the source is.
 *
 * @module
 */
import { StageInput } from "./stage_input.ts";

interface Reader<T> {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(reason: unknown): void;
}

/** What {@link BoundedQueue.unlessCancelled} resolves with when the queue was cancelled first. */
export const CANCELLED: unique symbol = Symbol("cancelled");

/** A FIFO of at most `capacity` items, read as a {@link StageInput} and written by one pump. */
export class BoundedQueue<T> extends StageInput<T> {
  /** How many items were pushed (progress: the producing stage's `out`). */
  pushed = 0;
  readonly #capacity: number;
  // A ring buffer: #items[#head] is the oldest of #size items.
  readonly #items: (T | undefined)[];
  #head = 0;
  #size = 0;
  #ended = false;
  #closed = false;
  #stopped: { reason: unknown } | undefined;
  readonly #readers: Reader<T>[] = [];
  #wakeProducer: (() => void) | undefined;
  #onRoom: (() => void) | undefined;
  #onCancel: (() => void) | undefined;
  #whenCancelled: (() => void)[] = [];

  /** Creates an empty queue of `capacity` (at least 1) items. */
  constructor(capacity: number) {
    super();
    this.#capacity = capacity;
    this.#items = new Array<T | undefined>(capacity);
  }

  get buffered(): number {
    return this.#size;
  }

  /** True when the reader closed the queue or the run stopped: the producer must stop producing. */
  get cancelled(): boolean {
    return this.#closed || this.#stopped !== undefined;
  }

  /** True when a push would not exceed the capacity. */
  get hasRoom(): boolean {
    return this.#size < this.#capacity;
  }

  /** Resolves when there is room, or when the queue is cancelled (check {@link cancelled} after). */
  waitForRoom(): Promise<void> {
    if (this.hasRoom || this.cancelled) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wakeProducer = resolve;
    });
  }

  /**
   * Calls `callback` once, synchronously, the next time room is freed (or the queue is cancelled): the way a
   * direct stage resumes without a promise per item. Replaces a callback set before and not yet called.
   */
  onRoom(callback: () => void): void {
    this.#onRoom = callback;
  }

  /**
   * Adds what to do once when the queue is cancelled (its reader closed it, or the run stopped): the pipeline
   * closes the producing stage's own input, so a stage waiting on a quiet input is released and the stop
   * travels upstream at once instead of after the next item; a stage writing into the queue directly learns
   * that nobody reads any more. Called at once when the queue is already cancelled.
   */
  whenCancelled(callback: () => void): void {
    if (this.cancelled) callback();
    else this.#whenCancelled.push(callback);
  }

  /**
   * Calls `read` (the producer's read of its own source) and resolves with its result, or with {@link CANCELLED}
   * as soon as the queue is cancelled, without waiting for the read: a source that has gone quiet must not hold
   * up a stop. A read that rejects after the cancel is a consequence of the stop, so its error is not reported.
   */
  unlessCancelled<R>(read: () => Promise<R>): Promise<R | typeof CANCELLED> {
    if (this.cancelled) return Promise.resolve(CANCELLED);
    const pending = read();
    return new Promise<R | typeof CANCELLED>((resolve, reject) => {
      const onCancel = (): void => resolve(CANCELLED);
      this.#onCancel = onCancel;
      const settle = (): void => {
        if (this.#onCancel === onCancel) this.#onCancel = undefined;
      };
      pending.then(
        (value) => {
          settle();
          resolve(value);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
    });
  }

  /** Adds an item (the caller has checked {@link hasRoom}); hands it straight to a waiting reader if any. */
  push(item: T): void {
    if (this.cancelled) return;
    this.pushed++;
    const reader = this.#readers.shift();
    if (reader) {
      this.taken++;
      reader.resolve({ done: false, value: item });
      return;
    }
    this.#items[(this.#head + this.#size) % this.#capacity] = item;
    this.#size++;
  }

  /** Marks the normal end: readers get `done` once the buffered items are taken. */
  end(): void {
    this.#ended = true;
    for (const reader of this.#readers.splice(0)) reader.resolve({ done: true, value: undefined });
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#stopped) return Promise.reject(this.#stopped.reason);
    if (this.#size > 0) {
      const item = this.#shift();
      this.taken++;
      this.#roomFreed();
      return Promise.resolve({ done: false, value: item });
    }
    if (this.#ended || this.#closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.#readers.push({ resolve, reject });
    });
  }

  takeAvailable(into: T[], max: number): number {
    if (this.#stopped) return 0;
    let count = 0;
    while (count < max && this.#size > 0) {
      into.push(this.#shift());
      count++;
    }
    if (count > 0) {
      this.taken += count;
      this.#roomFreed();
    }
    return count;
  }

  #shift(): T {
    const item = this.#items[this.#head] as T;
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#capacity;
    this.#size--;
    return item;
  }

  #roomFreed(): void {
    const wake = this.#wakeProducer;
    if (wake) {
      this.#wakeProducer = undefined;
      wake();
    }
    const onRoom = this.#onRoom;
    if (onRoom) {
      this.#onRoom = undefined;
      onRoom();
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#clear();
      for (const reader of this.#readers.splice(0)) reader.resolve({ done: true, value: undefined });
      this.#roomFreed();
      this.#cancelProducer();
    }
    return Promise.resolve();
  }

  abort(reason: unknown): void {
    if (this.#stopped) return;
    this.#stopped = { reason };
    this.#clear();
    for (const reader of this.#readers.splice(0)) reader.reject(reason);
    this.#roomFreed();
    this.#cancelProducer();
  }

  #cancelProducer(): void {
    const cancel = this.#onCancel;
    const hooks = this.#whenCancelled.splice(0);
    this.#onCancel = undefined;
    cancel?.();
    for (const hook of hooks) hook();
  }

  #clear(): void {
    this.#items.fill(undefined);
    this.#head = 0;
    this.#size = 0;
  }
}
