/**
 * The engine behind `pipeline()` and `run()`: one pump per stage moving the stage's output into a bounded
 * queue, a single stop path for abort, failure and an early consumer exit, and progress meters.
 *
 * @module
 */
import { BoundedQueue, CANCELLED } from "./bounded_queue.ts";
import { directRunOf } from "./direct_stage.ts";
import { AbortError, attachStage, InvalidOptionsError, requireFunction, requirePositiveInteger, requirePositiveNumber } from "./errors.ts";
import { type PipelineReport, ProgressTracker, type StageMeter } from "./progress.ts";
import { type Stage, type StageContext, stageNames } from "./stage.ts";
import { IteratorInput, StageInput } from "./stage_input.ts";

/** Where a pipeline's items come from: any `Iterable` (array, `Set`, generator) or `AsyncIterable` (stream). */
export type Source<T> = Iterable<T> | AsyncIterable<T>;

/** Options of `pipeline()` and `run()`; every field is optional. */
export interface PipelineOptions {
  /**
   * How many items each queue between two stages holds (default 8). A stage runs ahead of the next one by at
   * most this many items (a batch counts as one item).
   */
  readonly queueSize?: number;
  /** Aborting it stops every stage, closes the source, and the run rejects with an {@link AbortError}. */
  readonly signal?: AbortSignal;
  /** Receives a progress report at most once per `progressIntervalMs` while the run goes, and a final one. */
  readonly onProgress?: (report: PipelineReport) => void;
  /** Milliseconds between progress reports (default 500, so at most 2 per second). */
  readonly progressIntervalMs?: number;
  /** The clock for elapsed time and rates (default `performance`); inject one in tests. */
  readonly clock?: { now(): number };
}

/** The default `queueSize`: small, because a queue only needs to smooth out uneven stage speeds. */
export const DEFAULT_QUEUE_SIZE = 8;
/** The default `progressIntervalMs`: at most two periodic reports per second. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 500;

interface ResolvedOptions {
  readonly queueSize: number;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: ((report: PipelineReport) => void) | undefined;
  readonly progressIntervalMs: number;
  readonly clock: { now(): number };
}

/** Checks a call's arguments once, up front, and throws {@link InvalidOptionsError} for anything unusable. */
export function resolveArguments(
  source: unknown,
  stages: unknown,
  options: PipelineOptions | undefined,
): { source: Source<unknown>; stages: readonly Stage<unknown, unknown>[]; options: ResolvedOptions } {
  if (source === null || source === undefined || (typeof source !== "object" && typeof source !== "string") ||
    (typeof (source as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== "function" &&
      typeof (source as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== "function")) {
    throw new InvalidOptionsError("the source must be an Iterable or an AsyncIterable");
  }
  if (!Array.isArray(stages)) throw new InvalidOptionsError("stages must be an array of stage functions");
  stages.forEach((stage, i) => requireFunction(`stages[${i}]`, stage));
  const o = options ?? {};
  if (typeof o !== "object") throw new InvalidOptionsError("options must be an object");
  const queueSize = requirePositiveInteger("queueSize", o.queueSize ?? DEFAULT_QUEUE_SIZE);
  const progressIntervalMs = requirePositiveNumber("progressIntervalMs", o.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS);
  if (o.onProgress !== undefined) requireFunction("onProgress", o.onProgress);
  if (o.signal !== undefined && (o.signal === null || typeof o.signal.addEventListener !== "function")) {
    throw new InvalidOptionsError("signal must be an AbortSignal");
  }
  if (o.clock !== undefined) requireFunction("clock.now", o.clock?.now);
  return {
    source: source as Source<unknown>,
    stages: stages as readonly Stage<unknown, unknown>[],
    options: {
      queueSize,
      progressIntervalMs,
      signal: o.signal,
      onProgress: o.onProgress,
      clock: o.clock ?? performance,
    },
  };
}

/** One run of a stage list over a source. Created lazily by `pipeline()`, at once by `run()`. */
export class PipelineRun {
  /** The last stage's output; the consumer reads it. */
  readonly output: StageInput<unknown>;
  /** Resolves when every pump has ended and the source is closed: nothing the run started is still running. */
  readonly finished: Promise<void>;
  #failure: { error: unknown } | undefined;
  #stopping = false;
  #stopReason: { reason: unknown } | undefined;
  #finalReport: PipelineReport | undefined;
  readonly #controller = new AbortController();
  readonly #inputs: StageInput<unknown>[] = [];
  readonly #options: ResolvedOptions;
  readonly #progress: ProgressTracker;
  #closeSource: () => unknown = () => undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #onAbort = (): void => {
    if (this.#stopping) return;
    const error = new AbortError("the pipeline run was aborted", { cause: this.#options.signal?.reason });
    this.#failure = { error };
    this.#stop(error);
  };

  /** Builds the queues and starts every pump. Arguments must have passed {@link resolveArguments}. */
  constructor(source: Source<unknown>, stages: readonly Stage<unknown, unknown>[], options: ResolvedOptions) {
    this.#options = options;
    const starts: (() => Promise<void>)[] = [];
    let input: StageInput<unknown>;
    let sourceItems: () => number;
    if (typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
      const queue = new BoundedQueue<unknown>(options.queueSize);
      starts.push(() => this.#pumpSource(source as AsyncIterable<unknown>, queue));
      input = queue;
      sourceItems = () => queue.pushed;
    } else {
      const sourceInput = new IteratorInput<unknown>(
        this.#openSyncSource(source as Iterable<unknown>),
        (error) => this.#fail(error, "source"),
      );
      this.#closeSource = () => sourceInput.close();
      input = sourceInput;
      sourceItems = () => sourceInput.taken;
    }
    this.#inputs.push(input);
    const names = stageNames(stages);
    const meters: StageMeter[] = [];
    stages.forEach((stage, index) => {
      const stageInput = input;
      const output = new BoundedQueue<unknown>(options.queueSize);
      const meter: StageMeter = {
        name: names[index]!,
        taken: () => stageInput.taken,
        emitted: () => output.pushed,
        queued: () => stageInput.buffered,
        inFlight: 0,
      };
      meters.push(meter);
      const context: StageContext = {
        name: meter.name,
        index,
        signal: this.#controller.signal,
        setInFlight(count: number): void {
          meter.inFlight = count;
        },
      };
      // Once nobody reads this stage's output, its input is closed too, releasing a stage waiting on it.
      output.whenCancelled(() => void stageInput.close());
      starts.push(() => this.#pumpStage(stage, context, stageInput, output));
      this.#inputs.push(output);
      input = output;
    });
    this.output = input;
    this.#progress = new ProgressTracker(meters, sourceItems, () => options.clock.now());
    // Every queue exists before anything can stop the run, so a stop reaches all of them.
    if (this.#stopReason) this.#abortInputs(this.#stopReason.reason);
    if (options.signal) {
      if (options.signal.aborted) this.#onAbort();
      else options.signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    if (options.onProgress && !this.#stopping) {
      this.#timer = setInterval(() => this.#emitProgress(false), options.progressIntervalMs);
    }
    this.finished = Promise.all(starts.map((start) => start())).then(() => this.#finish());
  }

  /** The report made when the run ended (available once {@link finished} resolved). */
  get finalReport(): PipelineReport {
    return this.#finalReport ?? this.#progress.report(true);
  }

  /** Throws the error the run failed with (an {@link AbortError} when aborted), if it failed. */
  throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  /** Stops the run because its consumer stopped reading; not a failure. */
  stopByConsumer(): void {
    this.#stop(new AbortError("the pipeline's consumer stopped reading"));
  }

  #openSyncSource(source: Iterable<unknown>): Iterator<unknown> {
    try {
      return source[Symbol.iterator]();
    } catch (error) {
      this.#fail(error, "source");
      return [][Symbol.iterator]();
    }
  }

  async #pumpSource(source: AsyncIterable<unknown>, out: BoundedQueue<unknown>): Promise<void> {
    let iterator: AsyncIterator<unknown> | undefined;
    let finished = false;
    try {
      iterator = source[Symbol.asyncIterator]();
      const opened = iterator;
      let closing: Promise<void> | undefined;
      this.#closeSource = () => {
        closing ??= this.#returnIterator(opened, "source");
        return closing;
      };
      finished = await drainSource(iterator, out);
    } catch (error) {
      finished = true;
      this.#fail(error, "source");
    }
    if (finished) out.end();
    // Not finished: the first stage stopped reading (or the run stopped) and the source is released now, even if
    // it has a next() pending. Also when the source ended while the run stopped: stop()'s return() is awaited.
    if (iterator && (!finished || this.#stopping)) await this.#closeSource();
  }

  async #pumpStage(
    stage: Stage<unknown, unknown>,
    context: StageContext,
    input: StageInput<unknown>,
    out: BoundedQueue<unknown>,
  ): Promise<void> {
    let iterator: AsyncIterator<unknown> | undefined;
    let finished = false;
    try {
      const direct = directRunOf(stage);
      if (direct) finished = await direct(input, out, context);
      else {
        iterator = stage(input, context)[Symbol.asyncIterator]();
        finished = await drainInto(iterator, out);
      }
    } catch (error) {
      finished = true;
      this.#fail(error, context.name);
    }
    if (finished) out.end();
    else if (iterator) await this.#returnIterator(iterator, context.name);
    // The stage is done with its input: tell the stages before it (and the source) to stop producing.
    await input.close();
  }

  async #returnIterator(iterator: AsyncIterator<unknown>, name: string): Promise<void> {
    try {
      await iterator.return?.();
    } catch (error) {
      // During a stop, errors from closing are consequences of the stop; the first error is what the run reports.
      if (!this.#stopping) this.#fail(error, name);
    }
  }

  #fail(error: unknown, stage: string): void {
    if (this.#stopping) return;
    this.#failure = { error: attachStage(error, stage) };
    this.#stop(this.#failure.error);
  }

  #stop(reason: unknown): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#stopReason = { reason };
    this.#controller.abort(reason);
    this.#abortInputs(reason);
    // An async source may be waiting inside next(); return() lets iterators that support it stop at once.
    void this.#closeSource();
  }

  #abortInputs(reason: unknown): void {
    for (const input of this.#inputs) input.abort(reason);
  }

  #emitProgress(final: boolean): void {
    const report = this.#progress.report(final);
    if (final) this.#finalReport = report;
    const onProgress = this.#options.onProgress;
    if (!onProgress) return;
    try {
      onProgress(report);
    } catch (error) {
      if (final) {
        this.#failure ??= { error: attachStage(error, "onProgress") };
      } else {
        this.#fail(error, "onProgress");
      }
    }
  }

  #finish(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
    this.#emitProgress(true);
  }
}

/**
 * Like {@link drainInto} for the source: also returns false as soon as `out` is cancelled while the source's
 * `next()` is pending, without waiting for it (an idle network stream or event subscription may never answer).
 */
async function drainSource(iterator: AsyncIterator<unknown>, out: BoundedQueue<unknown>): Promise<boolean> {
  for (;;) {
    if (!out.hasRoom) await out.waitForRoom();
    if (out.cancelled) return false;
    const result = await out.unlessCancelled(() => iterator.next());
    if (result === CANCELLED) return false;
    if (result.done) return true;
    out.push(result.value);
  }
}

/**
 * Moves items from `iterator` into `out`, waiting whenever `out` is full. Resolves true when the iterator ended,
 * false when `out` was cancelled (the run is stopping); a throw from the iterator propagates.
 */
async function drainInto(iterator: AsyncIterator<unknown>, out: BoundedQueue<unknown>): Promise<boolean> {
  for (;;) {
    if (!out.hasRoom) await out.waitForRoom();
    if (out.cancelled) return false;
    const result = await iterator.next();
    if (result.done) return true;
    out.push(result.value);
  }
}
