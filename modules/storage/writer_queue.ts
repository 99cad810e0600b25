/**
 * One in-process queue that runs write jobs one at a time, in the order they were submitted. SQLite (and
 * libSQL) allow one writer per database: a second writer inside the same process gets `SQLITE_BUSY` at once,
 * so every write of a store, transactions included, goes through its queue.
 *
 * @module
 */

/**
 * Serialises async jobs: each starts when the previous one has settled. A failing job rejects its own promise
 * and does not stop the jobs behind it.
 *
 * @example
 * ```ts
 * const queue = new WriterQueue();
 * await Promise.all([queue.run(() => writeA()), queue.run(() => writeB())]); // A then B, never together
 * ```
 */
export class WriterQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /** Jobs submitted and not yet settled (the running one included). */
  get pending(): number {
    return this.#pending;
  }

  /** Runs `job` after every job submitted before it has settled, and resolves or rejects with its result. */
  run<T>(job: () => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(job);
    const settled = result.then(
      () => this.#settle(),
      () => this.#settle(),
    );
    this.#tail = settled;
    return result;
  }

  /** Resolves once every job submitted so far has settled. */
  async drain(): Promise<void> {
    await this.#tail;
  }

  #settle(): void {
    this.#pending--;
  }
}
