/**
 * Migration progress: one plain-data shape (`MigrationProgress`) and a reporter that throttles it, so a
 * listener (a terminal bar, the robot's `/health`) gets at most one report per interval plus every phase change
 * and the final 100% report.
 *
 * @module
 */

/** A snapshot of a running migration, as plain data (the robot app serves it while it migrates). */
export interface MigrationProgress {
  /** `"prepare"`, `"migrate v1->v2"` (one per step), `"verify"`, `"switch"`, or `"done"`. */
  readonly phase: string;
  /** Records handled so far in this step (migrated plus quarantined). */
  readonly done: number;
  /** Records the step has to handle (0 before it is known). */
  readonly total: number;
  /** Records quarantined so far in this step. */
  readonly quarantined: number;
  /** Records per second since the step started. */
  readonly itemsPerSecond: number;
  /** Estimated milliseconds left in the step, or null when it cannot be estimated yet. */
  readonly etaMs: number | null;
}

/** A source of the current time in milliseconds; tests inject one. */
export interface Clock {
  now(): number;
}

/** The engine's progress state for one migration; the migration's context exposes `advance` and `setTotal`. */
export class ProgressReporter {
  readonly #listener: ((progress: MigrationProgress) => void) | undefined;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  #phase = "prepare";
  #done = 0;
  #total = 0;
  #quarantined = 0;
  #startedAt: number;
  #lastReportAt = Number.NEGATIVE_INFINITY;

  /** Creates a reporter that calls `listener` at most once per `intervalMs` (phase changes always report). */
  constructor(listener: ((progress: MigrationProgress) => void) | undefined, intervalMs: number, clock: Clock) {
    this.#listener = listener;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
    this.#startedAt = clock.now();
  }

  /** Starts a migration step: counters reset, and the change is reported at once. */
  step(name: string): void {
    this.#done = 0;
    this.#total = 0;
    this.#quarantined = 0;
    this.#startedAt = this.#clock.now();
    this.phase(name);
  }

  /** Enters a phase of the current step (verify, switch, done), keeping its counters; reported at once. */
  phase(name: string): void {
    this.#phase = name;
    this.#report(true);
  }

  /** Sets how many records the current phase has to handle. */
  setTotal(total: number): void {
    this.#total = total;
    this.#report(false);
  }

  /** Counts `done` records handled, `quarantined` of them quarantined. */
  advance(done: number, quarantined = 0): void {
    this.#done += done;
    this.#quarantined += quarantined;
    this.#report(this.#done === this.#total);
  }

  /** The current snapshot. */
  snapshot(): MigrationProgress {
    const elapsedMs = Math.max(1, this.#clock.now() - this.#startedAt);
    const itemsPerSecond = (this.#done * 1000) / elapsedMs;
    const left = Math.max(0, this.#total - this.#done);
    const etaMs = this.#total === 0 ? null : left === 0 ? 0 : itemsPerSecond > 0 ? Math.round((left / itemsPerSecond) * 1000) : null;
    return {
      phase: this.#phase,
      done: this.#done,
      total: this.#total,
      quarantined: this.#quarantined,
      itemsPerSecond: Math.round(itemsPerSecond * 10) / 10,
      etaMs,
    };
  }

  #report(force: boolean): void {
    if (!this.#listener) return;
    const now = this.#clock.now();
    if (!force && now - this.#lastReportAt < this.#intervalMs) return;
    this.#lastReportAt = now;
    this.#listener(this.snapshot());
  }
}
