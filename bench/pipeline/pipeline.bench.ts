/**
 * @deckhand/pipeline benchmarks.
 *
 * 1. "1M items through 5 trivial stages": Node streams (`Readable.from(items).map(fn, { concurrency })`, five
 *    times) are the baseline; `pipeline` with `batch()` then five stages over batches must be >= 10x faster.
 *    The same pipeline without batching (a promise per item per stage) is shown for reference.
 * 2. The same work with a hand-written chain of async generators over batches as the baseline: the pipeline,
 *    which adds bounded queues, cancellation, error shutdown and progress, must stay within 1.5x (>= 0.67x).
 * 3. Async work: five `map(fn, { concurrency: 8 })` stages, `fn` an async function that awaits a resolved
 *    promise (the shape of a cheap async call), against a hand-written chain of async generators awaiting
 *    each call in turn (goal >= 0.7x: the bookkeeping of concurrency must cost less than the work); the same
 *    stages with `concurrency: 1` are a reference row.
 * 4. Metrics: peak heap while a slow last stage holds the pipeline back, for a source of N and of 10N items,
 *    to show that memory stays flat as the source grows.
 */
import { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { batch, map, pipeline, run, tap } from "@deckhand/pipeline";
import { type BenchGroup, type BenchMetric, defineSuite } from "../harness.ts";

const steps: readonly ((x: number) => number)[] = [
  (x) => x + 1,
  (x) => x * 3,
  (x) => x - 2,
  (x) => x ^ 5,
  (x) => x >>> 1,
];
const BATCH = 1000;
const STREAM_CONCURRENCY = 16;

/** Consumes batches and returns how many items came out, so no stage's work can be optimised away. */
async function countBatches(batches: AsyncIterable<number[]>): Promise<number> {
  let count = 0;
  for await (const items of batches) count += items.length;
  return count;
}

function expectCount(count: number, expected: number): number {
  if (count !== expected) throw new Error(`expected ${expected} items, got ${count}`);
  return count;
}

async function pipelineBatched(items: readonly number[]): Promise<number> {
  return await countBatches(pipeline(items, [
    batch<number>({ size: BATCH }),
    map((b: number[]) => b.map(steps[0]!)),
    map((b: number[]) => b.map(steps[1]!)),
    map((b: number[]) => b.map(steps[2]!)),
    map((b: number[]) => b.map(steps[3]!)),
    map((b: number[]) => b.map(steps[4]!)),
  ]));
}

async function pipelinePerItem(items: readonly number[]): Promise<number> {
  let count = 0;
  for await (const _ of pipeline(items, [map(steps[0]!), map(steps[1]!), map(steps[2]!), map(steps[3]!), map(steps[4]!)])) {
    count++;
  }
  return count;
}

async function handWrittenChain(items: readonly number[]): Promise<number> {
  async function* batches(source: Iterable<number>): AsyncGenerator<number[]> {
    let current: number[] = [];
    for (const item of source) {
      current.push(item);
      if (current.length === BATCH) {
        yield current;
        current = [];
      }
    }
    if (current.length > 0) yield current;
  }
  async function* step(input: AsyncIterable<number[]>, fn: (x: number) => number): AsyncGenerator<number[]> {
    for await (const b of input) yield b.map(fn);
  }
  let chain: AsyncIterable<number[]> = batches(items);
  for (const fn of steps) chain = step(chain, fn);
  return await countBatches(chain);
}

async function asyncStep(x: number): Promise<number> {
  await Promise.resolve();
  return x + 1;
}

async function pipelineAsyncMaps(items: readonly number[], concurrency: number): Promise<number> {
  let count = 0;
  const stage = () => map(asyncStep, { concurrency });
  for await (const _ of pipeline(items, [stage(), stage(), stage(), stage(), stage()])) count++;
  return count;
}

async function handWrittenAsyncChain(items: readonly number[]): Promise<number> {
  async function* source(): AsyncGenerator<number> {
    yield* items;
  }
  async function* step(input: AsyncIterable<number>): AsyncGenerator<number> {
    for await (const x of input) yield await asyncStep(x);
  }
  let chain: AsyncIterable<number> = source();
  for (let i = 0; i < 5; i++) chain = step(chain);
  let count = 0;
  for await (const _ of chain) count++;
  return count;
}

async function nodeStreams(items: readonly number[]): Promise<number> {
  let stream: Readable = Readable.from(items);
  for (const fn of steps) stream = stream.map(fn, { concurrency: STREAM_CONCURRENCY });
  let count = 0;
  for await (const _ of stream) count++;
  return count;
}

/**
 * The runtime's `gc()`, obtained without the `--expose-gc` command-line flag (the bench runner does not pass
 * it), or undefined where that is not possible. Used only for the live-heap metric.
 */
function runtimeGc(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    return typeof gc === "function" ? (gc as () => void) : undefined;
  } catch (error) {
    console.warn(`live-heap metric skipped: ${String(error)}`);
    return undefined;
  }
}

/**
 * Runs a pipeline whose last stage is slow over `length` records generated on demand and returns the peak
 * `heapUsed` sampled during the run. With `gc`, it collects every 20 batches and returns the peak heap right
 * after a collection instead (the live heap, without garbage that is merely waiting for the collector).
 */
async function peakHeapWithSlowLastStage(length: number, gc?: () => void): Promise<number> {
  function* records(): Generator<{ id: number; payload: string }> {
    for (let id = 0; id < length; id++) yield { id, payload: `record ${id} `.padEnd(200, "x") };
  }
  let peak = 0;
  let batches = 0;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  const sampler = gc ? undefined : setInterval(sample, 5);
  try {
    const report = await run(records(), [
      map((r: { id: number; payload: string }) => ({ ...r, size: r.payload.length })),
      batch({ size: 100 }),
      // The slow stage: one timer turn per batch, far slower than the stages before it.
      tap(async () => {
        if (!gc) sample();
        else if (++batches % 20 === 0) {
          gc();
          sample();
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }),
    ]);
    expectCount(report.sourceItems, length);
  } finally {
    if (sampler) clearInterval(sampler);
  }
  return peak;
}

export default defineSuite({
  name: "pipeline",
  groups: ({ quick }): BenchGroup[] => {
    const length = quick ? 100_000 : 1_000_000;
    const items = Array.from({ length }, (_, i) => i);
    const label = quick ? "100k" : "1M";
    const throughput = { unitsPerOp: length, unit: "items" };
    const asyncLength = quick ? 20_000 : 200_000;
    const asyncItems = items.slice(0, asyncLength);
    const asyncLabel = quick ? "20k" : "200k";
    const asyncThroughput = { unitsPerOp: asyncLength, unit: "items" };
    return [
      {
        name: `${label} items through 5 trivial stages`,
        baseline: {
          name: `node streams .map(fn, { concurrency: ${STREAM_CONCURRENCY} }) x5`,
          fn: async () => expectCount(await nodeStreams(items), length),
          ...throughput,
        },
        tasks: [
          { name: "pipeline batch(1000) + 5 stages over batches", fn: async () => expectCount(await pipelineBatched(items), length), ...throughput },
          { name: "pipeline 5 map() stages, per item", fn: async () => expectCount(await pipelinePerItem(items), length), ...throughput },
        ],
        goals: { "pipeline batch(1000) + 5 stages over batches": { min: 10 } },
      },
      {
        name: `${label} items, batched: pipeline vs a hand-written generator chain`,
        baseline: {
          name: "hand-written async generators over batches",
          fn: async () => expectCount(await handWrittenChain(items), length),
          ...throughput,
        },
        tasks: [
          { name: "pipeline batch(1000) + 5 stages over batches", fn: async () => expectCount(await pipelineBatched(items), length), ...throughput },
        ],
        goals: { "pipeline batch(1000) + 5 stages over batches": { min: 0.67 } },
      },
      {
        name: `${asyncLabel} items through 5 async map stages`,
        baseline: {
          name: "hand-written async generators awaiting each call",
          fn: async () => expectCount(await handWrittenAsyncChain(asyncItems), asyncLength),
          ...asyncThroughput,
        },
        tasks: [
          { name: "pipeline 5 map(fn, { concurrency: 8 })", fn: async () => expectCount(await pipelineAsyncMaps(asyncItems, 8), asyncLength), ...asyncThroughput },
          {
            name: "pipeline 5 map(fn, { concurrency: 1 }) (reference)",
            fn: async () => expectCount(await pipelineAsyncMaps(asyncItems, 1), asyncLength),
            ...asyncThroughput,
          },
        ],
        goals: { "pipeline 5 map(fn, { concurrency: 8 })": { min: 0.7 } },
      },
    ];
  },
  metrics: async ({ quick }): Promise<BenchMetric[]> => {
    const n = quick ? 20_000 : 100_000;
    const mb = (bytes: number) => bytes / (1024 * 1024);
    const sampled = [await peakHeapWithSlowLastStage(n), await peakHeapWithSlowLastStage(n * 10)] as const;
    const metrics: BenchMetric[] = [
      { name: `peak heap, slow last stage, N=${n}`, value: mb(sampled[0]), unit: "MB", note: "max of sampled heapUsed" },
      { name: `peak heap, slow last stage, 10N=${n * 10}`, value: mb(sampled[1]), unit: "MB", note: "max of sampled heapUsed" },
      { name: "peak heap 10N / N", value: sampled[1] / sampled[0], unit: "x", note: "includes garbage not yet collected" },
    ];
    const gc = runtimeGc();
    if (gc) {
      const live = [await peakHeapWithSlowLastStage(n, gc), await peakHeapWithSlowLastStage(n * 10, gc)] as const;
      metrics.push(
        { name: `live heap, slow last stage, N=${n}`, value: mb(live[0]), unit: "MB", note: "max heapUsed right after gc()" },
        { name: `live heap, slow last stage, 10N=${n * 10}`, value: mb(live[1]), unit: "MB", note: "max heapUsed right after gc()" },
        { name: "live heap 10N / N", value: live[1] / live[0], unit: "x", note: "about 1: memory stays flat as the source grows" },
      );
    }
    return metrics;
  },
});
