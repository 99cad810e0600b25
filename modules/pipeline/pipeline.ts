/**
 * `pipeline()` and `run()`: staged async processing with a bounded queue between every pair of stages,
 * one `AbortSignal` for cancellation, errors that stop every stage, and throttled progress.
 *
 * @module
 */
import { type PipelineOptions, PipelineRun, resolveArguments, type Source } from "./pipeline_run.ts";
import type { PipelineReport } from "./progress.ts";
import type { Stage } from "./stage.ts";

/**
 * Runs `stages` over `source` and returns the last stage's output as an async iterable. Nothing starts until
 * the first `next()`. Every stage runs concurrently with the others; between each pair sits a queue of
 * `options.queueSize` items, so a slow stage holds back the ones before it and memory stays bounded however
 * long the source is. Breaking out of the loop stops every stage and closes the source before the loop
 * exits. If a stage throws, the loop throws that error (with `stage` set to the stage's name) once every
 * stage has stopped; if `options.signal` aborts, it throws an `AbortError`.
 *
 * The iterable can be iterated once.
 *
 * @example
 * ```ts
 * const lines = pipeline(readLines("runs.ndjson"), [
 *   map((line: string) => JSON.parse(line) as { id: string }),
 *   dedupe((run) => run.id),
 *   batch({ size: 100, maxWaitMs: 50 }),
 * ]);
 * for await (const runs of lines) await store.insert(runs);
 * ```
 */
export function pipeline<T, A>(source: Source<T>, stages: readonly [Stage<T, A>], options?: PipelineOptions): AsyncIterableIterator<A>;
/** Two stages; see the first overload. */
export function pipeline<T, A, B>(
  source: Source<T>,
  stages: readonly [Stage<T, A>, Stage<A, B>],
  options?: PipelineOptions,
): AsyncIterableIterator<B>;
/** Three stages; see the first overload. */
export function pipeline<T, A, B, C>(
  source: Source<T>,
  stages: readonly [Stage<T, A>, Stage<A, B>, Stage<B, C>],
  options?: PipelineOptions,
): AsyncIterableIterator<C>;
/** Four stages; see the first overload. */
export function pipeline<T, A, B, C, D>(
  source: Source<T>,
  stages: readonly [Stage<T, A>, Stage<A, B>, Stage<B, C>, Stage<C, D>],
  options?: PipelineOptions,
): AsyncIterableIterator<D>;
/** Five stages; see the first overload. */
export function pipeline<T, A, B, C, D, E>(
  source: Source<T>,
  stages: readonly [Stage<T, A>, Stage<A, B>, Stage<B, C>, Stage<C, D>, Stage<D, E>],
  options?: PipelineOptions,
): AsyncIterableIterator<E>;
/** Six stages; see the first overload. */
export function pipeline<T, A, B, C, D, E, F>(
  source: Source<T>,
  stages: readonly [Stage<T, A>, Stage<A, B>, Stage<B, C>, Stage<C, D>, Stage<D, E>, Stage<E, F>],
  options?: PipelineOptions,
): AsyncIterableIterator<F>;
/** Seven stages; see the first overload. */
export function pipeline<T, A, B, C, D, E, F, G>(
  source: Source<T>,
  stages: readonly [Stage<T, A>, Stage<A, B>, Stage<B, C>, Stage<C, D>, Stage<D, E>, Stage<E, F>, Stage<F, G>],
  options?: PipelineOptions,
): AsyncIterableIterator<G>;
/** Any number of stages, checked only at run time; see the first overload. */
export function pipeline(
  source: Source<unknown>,
  stages: readonly Stage<never, unknown>[],
  options?: PipelineOptions,
): AsyncIterableIterator<unknown>;
export function pipeline(
  source: Source<unknown>,
  stages: readonly Stage<never, unknown>[],
  options?: PipelineOptions,
): AsyncIterableIterator<unknown> {
  const args = resolveArguments(source, stages, options);
  return new PipelineOutput(() => new PipelineRun(args.source, args.stages, args.options));
}

/**
 * Runs `stages` over `source` to the end, discarding the last stage's output, and resolves to the final
 * progress report (per-stage counts). Rejects like {@link pipeline}'s loop: with the failing stage's error,
 * or an `AbortError`, and only after every stage has stopped and the source is closed.
 *
 * @example
 * ```ts
 * const report = await run(fixtures, [
 *   map((file: string) => readFile(file, "utf8"), { concurrency: 4 }),
 *   batch({ size: 50, maxWaitMs: 200 }),
 *   tap((docs) => db.insertMany(docs)),
 * ], { signal: AbortSignal.timeout(60_000) });
 * console.log(report.sourceItems, report.elapsedMs);
 * ```
 */
export function run<T, A>(source: Source<T>, stages: readonly [Stage<T, A>], options?: PipelineOptions): Promise<PipelineReport>;
/** Two stages; see the first overload. */
export function run<T, A, B>(
  source: Source<T>,
  stages: readonly [Stage<T, A>, Stage<A, B>],
  options?: PipelineOptions,
): Promise<PipelineReport>;
/** Three stages; see the first overload. */
export function run<T, A, B, C>(
  source: Source<T>,
  stages: readonly [Stage<T, A>, Stage<A, B>, Stage<B, C>],
  options?: PipelineOptions,
): Promise<PipelineReport>;
/** Four stages; see the first overload. */
export function run<T, A, B, C, D>(
  source: Source<T>,
  stages: readonly [Stage<T, A>, Stage<A, B>, Stage<B, C>, Stage<C, D>],
  options?: PipelineOptions,
): Promise<PipelineReport>;
/** Five stages; see the first overload. */
export function run<T, A, B, C, D, E>(
  source: Source<T>,
  stages: readonly [Stage<T, A>, Stage<A, B>, Stage<B, C>, Stage<C, D>, Stage<D, E>],
  options?: PipelineOptions,
): Promise<PipelineReport>;
/** Six stages; see the first overload. */
export function run<T, A, B, C, D, E, F>(
  source: Source<T>,
  stages: readonly [Stage<T, A>, Stage<A, B>, Stage<B, C>, Stage<C, D>, Stage<D, E>, Stage<E, F>],
  options?: PipelineOptions,
): Promise<PipelineReport>;
/** Seven stages; see the first overload. */
export function run<T, A, B, C, D, E, F, G>(
  source: Source<T>,
  stages: readonly [Stage<T, A>, Stage<A, B>, Stage<B, C>, Stage<C, D>, Stage<D, E>, Stage<E, F>, Stage<F, G>],
  options?: PipelineOptions,
): Promise<PipelineReport>;
/** Any number of stages, checked only at run time; see the first overload. */
export function run(
  source: Source<unknown>,
  stages: readonly Stage<never, unknown>[],
  options?: PipelineOptions,
): Promise<PipelineReport>;
export function run(
  source: Source<unknown>,
  stages: readonly Stage<never, unknown>[],
  options?: PipelineOptions,
): Promise<PipelineReport> {
  let started: PipelineRun;
  try {
    const args = resolveArguments(source, stages, options);
    started = new PipelineRun(args.source, args.stages, args.options);
  } catch (error) {
    return Promise.reject(error);
  }
  return drain(started);
}

async function drain(pipelineRun: PipelineRun): Promise<PipelineReport> {
  const output = pipelineRun.output;
  const sink: unknown[] = [];
  let stopped: { reason: unknown } | undefined;
  try {
    for (;;) {
      if (output.takeAvailable(sink, 4096) > 0) {
        sink.length = 0;
        continue;
      }
      const result = await output.next();
      if (result.done) break;
    }
  } catch (reason) {
    stopped = { reason };
  }
  await pipelineRun.finished;
  pipelineRun.throwIfFailed();
  // The output only rejects when the run stopped, and a stopped run has a failure; anything else is a bug here.
  if (stopped) throw stopped.reason;
  return pipelineRun.finalReport;
}

/** The iterator `pipeline()` returns: starts the run on the first `next()`, stops it on `return()`. */
class PipelineOutput implements AsyncIterableIterator<unknown> {
  readonly #create: () => PipelineRun;
  #run: PipelineRun | undefined;
  #done = false;
  #returned = false;

  constructor(create: () => PipelineRun) {
    this.#create = create;
  }

  async next(): Promise<IteratorResult<unknown, undefined>> {
    if (this.#done) return { done: true, value: undefined };
    const started = (this.#run ??= this.#create());
    let stopped: { reason: unknown } | undefined;
    try {
      const result = await started.output.next();
      if (!result.done) return result;
    } catch (reason) {
      stopped = { reason };
    }
    this.#done = true;
    await started.finished;
    started.throwIfFailed();
    // Rejected without a failure: return() stopped the run while this next() waited, so it simply ends.
    if (stopped && !this.#returned) throw stopped.reason;
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<unknown, undefined>> {
    this.#returned = true;
    const started = this.#run;
    if (!started || this.#done) {
      this.#done = true;
      return { done: true, value: undefined };
    }
    this.#done = true;
    started.stopByConsumer();
    await started.finished;
    started.throwIfFailed();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
