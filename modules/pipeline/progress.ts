/**
 * Progress of a pipeline run: per-stage counts, sent to `onProgress` at most once per interval while the run
 * goes, then once more at the end (`final: true`). `run()` resolves to the final report.
 *
 * @module
 */

/** One stage's counts at the moment of a report. */
export interface StageProgress {
  /** The stage's name (see `named`). */
  readonly name: string;
  /** Items the stage has taken from its input. */
  readonly in: number;
  /** Items the stage has emitted. */
  readonly out: number;
  /** Items the stage holds, taken in but not yet emitted, as the stage reports it (`map` and `batch` do). */
  readonly inFlight: number;
  /** Items waiting in the queue in front of the stage. */
  readonly queued: number;
  /** Items emitted per second: over the last interval in a periodic report, over the whole run in the final one. */
  readonly itemsPerSecond: number;
}

/**
 * A progress report, and what `run()` resolves to.
 *
 * @example
 * ```ts
 * const report = await run(files, [map(upload, { concurrency: 4 })], {
 *   onProgress: (p) => console.log(p.stages.map((s) => `${s.name} ${s.out}`).join(" | ")),
 * });
 * console.log(`${report.sourceItems} files in ${report.elapsedMs} ms`);
 * ```
 */
export interface PipelineReport {
  /** Items read from the source. */
  readonly sourceItems: number;
  /** Items the last stage emitted (the run's output). */
  readonly outputItems: number;
  /** One entry per stage, in stage order. */
  readonly stages: readonly StageProgress[];
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
  /** True for the one report sent when the run has ended (completed, failed or aborted). */
  readonly final: boolean;
}

/** The counters a report is made from: one getter set per stage, read only when a report is due. */
export interface StageMeter {
  readonly name: string;
  taken(): number;
  emitted(): number;
  queued(): number;
  inFlight: number;
}

/** Builds reports from meters and tracks the previous counts to compute per-interval rates. */
export class ProgressTracker {
  readonly #meters: readonly StageMeter[];
  readonly #sourceItems: () => number;
  readonly #now: () => number;
  readonly #startedAt: number;
  #lastAt: number;
  #lastOut: number[];

  /** Starts tracking at `now()`. */
  constructor(meters: readonly StageMeter[], sourceItems: () => number, now: () => number) {
    this.#meters = meters;
    this.#sourceItems = sourceItems;
    this.#now = now;
    this.#startedAt = now();
    this.#lastAt = this.#startedAt;
    this.#lastOut = meters.map(() => 0);
  }

  /** A report of the counts now; `final` reports rates over the whole run. */
  report(final: boolean): PipelineReport {
    const now = this.#now();
    const elapsedMs = now - this.#startedAt;
    const windowMs = final ? elapsedMs : now - this.#lastAt;
    const stages = this.#meters.map((meter, i): StageProgress => {
      const out = meter.emitted();
      const counted = final ? out : out - this.#lastOut[i]!;
      return {
        name: meter.name,
        in: meter.taken(),
        out,
        inFlight: meter.inFlight,
        queued: meter.queued(),
        itemsPerSecond: windowMs > 0 ? (counted * 1000) / windowMs : 0,
      };
    });
    this.#lastAt = now;
    this.#lastOut = stages.map((stage) => stage.out);
    const sourceItems = this.#sourceItems();
    const outputItems = stages.length > 0 ? stages[stages.length - 1]!.out : sourceItems;
    return { sourceItems, outputItems, stages, elapsedMs, final };
  }
}
