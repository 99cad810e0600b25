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
  readonly unit: string;
  /** Units per second, from the median latency. */
  readonly throughput: number;
  /** Median milliseconds per call. */
  readonly medianMs: number;
  readonly samples: number;
  /** Throughput over the group baseline's throughput (1 for the baseline itself). */
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

/** Runs every group of a suite with tinybench and collects ratios and metrics. */
export async function runSuite(suite: SuiteDefinition, mode: BenchMode): Promise<SuiteResult> {
  const rows: TaskResult[] = [];
  for (const group of await suite.groups(mode)) {
    try {
      const bench = new Bench({
        time: mode.quick ? 300 : 2000,
        iterations: mode.quick ? 3 : 10,
        warmupTime: mode.quick ? 50 : 300,
        warmupIterations: mode.quick ? 1 : 3,
        throws: true,
      });
      const all = [group.baseline, ...group.tasks];
      for (const task of all) {
        bench.add(task.name, task.fn, task.beforeEach ? { beforeEach: task.beforeEach } : {});
      }
      await bench.run();
      const measured = all.map((task) => {
        const result = bench.getTask(task.name)?.result;
        if (!result || !("latency" in result)) {
          throw new Error(`bench task "${task.name}" in "${group.name}" did not complete`);
        }
        const medianMs = result.latency.p50 > 0 ? result.latency.p50 : result.period;
        return {
          task,
          medianMs,
          samples: result.latency.samplesCount,
          throughput: ((task.unitsPerOp ?? 1) * 1000) / medianMs,
        };
      });
      const base = measured[0]!.throughput;
      for (const [i, m] of measured.entries()) {
        const goal = group.goals?.[m.task.name];
        rows.push({
          group: group.name,
          task: m.task.name,
          isBaseline: i === 0,
          unit: m.task.unit ?? "ops",
          throughput: m.throughput,
          medianMs: m.medianMs,
          samples: m.samples,
          ratio: m.throughput / base,
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
        `${row.medianMs.toFixed(3).padStart(10)} ms/op  ${row.isBaseline ? "baseline" : `${row.ratio.toFixed(3)}x`}${goal}`,
    );
  }
  for (const metric of result.metrics) {
    lines.push(`  metric ${metric.name}: ${formatNumber(metric.value)} ${metric.unit}${metric.note ? `  (${metric.note})` : ""}`);
  }
  return lines.join("\n");
}
