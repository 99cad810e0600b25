/**
 * The bench harness: a suite names its baselines, the harness runs each baseline and its contenders in the
 * same tinybench run and reports ratios (contender throughput / baseline throughput), so results compare
 * across noisy machines. Suites live in `bench/<name>/<name>.bench.ts` and `export default defineSuite(...)`.
 *
 * @example
 * ```ts
 * import { defineSuite } from "../harness.ts";
 * export default defineSuite({
 *   name: "example",
 *   groups: ({ quick }) => [{
 *     name: "sum 1k numbers",
 *     baseline: { name: "for loop", fn: () => { let s = 0; for (let i = 0; i < 1000; i++) s += i; return s; } },
 *     tasks: [{ name: "reduce", fn: () => Array.from({ length: 1000 }, (_, i) => i).reduce((a, b) => a + b, 0) }],
 *     goals: { reduce: { min: 0.1 } },
 *   }],
 * });
 * ```
 */
import { Bench } from "tinybench";

/** How a suite is being run: `quick` is CI's short mode (smaller inputs, shorter time budgets). */
export interface BenchMode {
  readonly quick: boolean;
}

/** One measured function. Throughput is reported in `unit`s per second (`unitsPerOp` units per call). */
export interface BenchTask {
  readonly name: string;
  readonly fn: () => unknown | Promise<unknown>;
  /** How many units one call processes (for example 1_000_000 items). Default 1. */
  readonly unitsPerOp?: number;
  /** The unit of work, for the table ("items", "commands", "MB"). Default "ops". */
  readonly unit?: string;
  /** Runs before every call, outside the measured time (for example to reset a table). */
  readonly beforeEach?: () => void | Promise<void>;
  /**
   * A row shown for context (another approach, an upper bound), not a contender: its ratio is printed but never
   * compared with bench/baseline.json. A name ending in "(reference)" means the same.
   */
  readonly reference?: boolean;
}

/** A ratio goal from an issue: the contender's throughput over the baseline's must be at least `min`. */
export interface RatioGoal {
  readonly min: number;
}

/** A baseline and the contenders measured against it, in the same tinybench run. */
export interface BenchGroup {
  readonly name: string;
  readonly baseline: BenchTask;
  readonly tasks: readonly BenchTask[];
  /** Goals per contender name; printed as met or missed, never enforced (the committed ratios are). */
  readonly goals?: Readonly<Record<string, RatioGoal>>;
  /** Runs once after the group is measured (close databases, remove temp dirs). */
  readonly teardown?: () => unknown | Promise<unknown>;
}

/** A measured value that is not a throughput ratio (peak heap, tick jitter). Reported, not compared. */
export interface BenchMetric {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

/** A suite: its groups (each with its baseline) and any extra metrics. */
export interface SuiteDefinition {
  readonly name: string;
  readonly groups: (mode: BenchMode) => Promise<readonly BenchGroup[]> | readonly BenchGroup[];
  readonly metrics?: (mode: BenchMode) => Promise<readonly BenchMetric[]> | readonly BenchMetric[];
}

/** One contender's (or baseline's) result row. */
export interface TaskResult {
  readonly group: string;
  readonly task: string;
  readonly isBaseline: boolean;
  /** A reference row (see `BenchTask.reference`): printed, never checked. */
  readonly isReference?: boolean;
  readonly unit: string;
  /** Units per second: the median over the interleaved rounds. */
  readonly throughput: number;
  /** Median milliseconds per call (the median of the rounds' medians). */
  readonly medianMs: number;
  readonly samples: number;
  /** The median over rounds of throughput / the baseline's throughput in the same round (1 for the baseline). */
  readonly ratio: number;
  readonly goal?: RatioGoal;
}

/** What a suite run produced. */
export interface SuiteResult {
  readonly suite: string;
  readonly quick: boolean;
  readonly rows: readonly TaskResult[];
  readonly metrics: readonly BenchMetric[];
}

/**
 * Declares a suite. Identity at run time; it exists so suite files are type-checked against the harness.
 *
 * @example
 * ```ts
 * export default defineSuite({ name: "pipeline", groups: () => [] });
 * ```
 */
export function defineSuite(definition: SuiteDefinition): SuiteDefinition {
  return definition;
}

/** The key of a ratio in `bench/baseline.json`: `suite/group/task`. */
export function ratioKey(suite: string, group: string, task: string): string {
  return `${suite}/${group}/${task}`;
}

/** How a mode measures: rounds per group, and each task's time budget and minimum calls per round. */
interface RoundPlan {
  readonly rounds: number;
  readonly time: number;
  readonly iterations: number;
  readonly warmupTime: number;
  readonly warmupIterations: number;
}

const PLANS: Readonly<Record<"quick" | "full", RoundPlan>> = {
  quick: { rounds: 5, time: 60, iterations: 1, warmupTime: 50, warmupIterations: 1 },
  full: { rounds: 7, time: 300, iterations: 2, warmupTime: 300, warmupIterations: 3 },
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** True for a row shown for context only (flag `reference`, or a name ending in "(reference)"): never checked. */
export function isReferenceTask(task: Pick<BenchTask, "name" | "reference">): boolean {
  return task.reference === true || task.name.endsWith("(reference)");
}

/**
 * Runs every group of a suite and collects ratios and metrics. The baseline and its contenders are measured in
 * interleaved rounds (A B C, then C B A, ...; one short tinybench run per task and round), so a load spike on a
 * shared machine hits both sides of a ratio; a contender's ratio is the median of its per-round ratios to the
 * baseline, its throughput the median of its per-round throughputs.
 */
export async function runSuite(suite: SuiteDefinition, mode: BenchMode): Promise<SuiteResult> {
  const plan = mode.quick ? PLANS.quick : PLANS.full;
  const rows: TaskResult[] = [];
  for (const group of await suite.groups(mode)) {
    try {
      const all = [group.baseline, ...group.tasks];
      const latencies: number[][] = all.map(() => []);
      const samples = all.map(() => 0);
      for (let round = 0; round < plan.rounds; round++) {
        const order = all.map((_, i) => i);
        if (round % 2 === 1) order.reverse();
        for (const i of order) {
          const task = all[i]!;
          const bench = new Bench({
            time: plan.time,
            iterations: plan.iterations,
            warmup: round === 0,
            warmupTime: plan.warmupTime,
            warmupIterations: plan.warmupIterations,
            throws: true,
          });
          bench.add(task.name, task.fn, task.beforeEach ? { beforeEach: task.beforeEach } : {});
          await bench.run();
          const result = bench.getTask(task.name)?.result;
          if (!result || !("latency" in result)) {
            throw new Error(`bench task "${task.name}" in "${group.name}" did not complete`);
          }
          latencies[i]!.push(result.latency.p50 > 0 ? result.latency.p50 : result.period);
          samples[i]! += result.latency.samplesCount;
        }
      }
      const throughputs = all.map((task, i) => latencies[i]!.map((ms) => ((task.unitsPerOp ?? 1) * 1000) / ms));
      for (const [i, task] of all.entries()) {
        const goal = group.goals?.[task.name];
        const perRoundRatios = throughputs[i]!.map((t, round) => t / throughputs[0]![round]!);
        const reference = i > 0 && isReferenceTask(task);
        rows.push({
          group: group.name,
          task: task.name,
          isBaseline: i === 0,
          ...(reference ? { isReference: true } : {}),
          unit: task.unit ?? "ops",
          throughput: median(throughputs[i]!),
          medianMs: median(latencies[i]!),
          samples: samples[i]!,
          ratio: i === 0 ? 1 : median(perRoundRatios),
          ...(goal ? { goal } : {}),
        });
      }
    } finally {
      await group.teardown?.();
    }
  }
  const metrics = suite.metrics ? [...(await suite.metrics(mode))] : [];
  return { suite: suite.name, quick: mode.quick, rows, metrics };
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n >= 10 ? n.toFixed(0) : n.toFixed(3);
}

/** Renders a suite result as a plain-text table, one line per task, with its ratio to the group baseline. */
export function formatSuite(result: SuiteResult): string {
  const lines = [`## ${result.suite}${result.quick ? " (quick)" : ""}`];
  let group = "";
  for (const row of result.rows) {
    if (row.group !== group) {
      group = row.group;
      const baseline = result.rows.find((r) => r.group === group && r.isBaseline)!;
      lines.push(`  ${group}  (baseline: ${baseline.task})`);
    }
    const goal = row.goal ? `  goal >= ${row.goal.min}x: ${row.ratio >= row.goal.min ? "met" : "MISSED"}` : "";
    lines.push(
      `    ${row.task.padEnd(44)} ${formatNumber(row.throughput).padStart(9)} ${row.unit}/s  ` +
        `${row.medianMs.toFixed(3).padStart(10)} ms/op  ${row.isBaseline ? "baseline" : `${row.ratio.toFixed(3)}x`}${row.isReference ? " (reference)" : ""}${goal}`,
    );
  }
  for (const metric of result.metrics) {
    lines.push(`  metric ${metric.name}: ${formatNumber(metric.value)} ${metric.unit}${metric.note ? `  (${metric.note})` : ""}`);
  }
  return lines.join("\n");
}
