/**
 * Samples a running process for the soak: resident memory and open file descriptors from `/proc/<pid>` (Linux),
 * and, when the process serves Prometheus text at a metrics URL, its heap use and event-loop delay. A soak passes
 * when memory and descriptors stay flat between its first and last samples ({@link judgeFlat}).
 *
 * @example
 * ```ts
 * const sampler = startProcessSampler({ pid: child.pid!, intervalMs: 1000, metricsUrl: `${url}/metrics` });
 * // ... load ...
 * const samples = await sampler.stop();
 * console.log(judgeFlat(samples));
 * ```
 */
import { readdir, readFile } from "node:fs/promises";

/** One measurement of a process. */
export interface ProcessSample {
  /** Milliseconds since the epoch. */
  readonly t: number;
  readonly rssBytes: number;
  readonly openFds: number;
  /** From the metrics endpoint, when it has a heap gauge. */
  readonly heapUsedBytes?: number;
  /** From the metrics endpoint, when it has an event-loop delay gauge (p99 preferred). */
  readonly eventLoopDelayMs?: number;
}

/** Metric names looked for, first found wins (prom-client's defaults, then plain Deckhand names). */
export const heapMetricNames: readonly string[] = ["nodejs_heap_size_used_bytes", "deckhand_heap_used_bytes", "process_heap_bytes"];
/** Event-loop delay metric names (seconds unless the name ends in `_ms`), first found wins. */
export const loopDelayMetricNames: readonly string[] = [
  "nodejs_eventloop_lag_p99_seconds", "deckhand_event_loop_delay_p99_seconds", "deckhand_event_loop_delay_p99_ms",
  "nodejs_eventloop_lag_seconds", "deckhand_event_loop_delay_seconds", "deckhand_event_loop_delay_ms",
];

/** Parses Prometheus text exposition into `name -> value` (the first sample of each name, labels ignored). */
export function parsePrometheusText(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (!values.has(match[1]!) && !Number.isNaN(value)) values.set(match[1]!, value);
  }
  return values;
}

/** Reads one sample of `pid`; the metrics URL is optional and its failure only leaves those fields out. */
export async function sampleProcess(pid: number, metricsUrl?: string): Promise<ProcessSample> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  const openFds = (await readdir(`/proc/${pid}/fd`)).length;
  let heapUsedBytes: number | undefined;
  let eventLoopDelayMs: number | undefined;
  if (metricsUrl) {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) }).catch((error: unknown) => error as Error);
    if (!(response instanceof Error) && response.ok) {
      const metrics = parsePrometheusText(await response.text());
      heapUsedBytes = heapMetricNames.map((n) => metrics.get(n)).find((v) => v !== undefined);
      const delayName = loopDelayMetricNames.find((n) => metrics.has(n));
      if (delayName) eventLoopDelayMs = metrics.get(delayName)! * (delayName.endsWith("_ms") ? 1 : 1000);
    } else if (!(response instanceof Error)) {
      await response.body?.cancel();
    }
  }
  return {
    t: Date.now(), rssBytes: rssKb * 1024, openFds,
    ...(heapUsedBytes !== undefined ? { heapUsedBytes } : {}),
    ...(eventLoopDelayMs !== undefined ? { eventLoopDelayMs } : {}),
  };
}

/** A sampler running on an interval. */
export interface ProcessSampler {
  /** The samples so far. */
  samples(): readonly ProcessSample[];
  /** Errors so far (a sample that could not be read, e.g. the process was gone). */
  errors(): readonly string[];
  /** Stops sampling and returns every sample. */
  stop(): Promise<readonly ProcessSample[]>;
}

/** Samples `pid` now and every `intervalMs` until stopped. */
export function startProcessSampler(options: { pid: number; intervalMs: number; metricsUrl?: string }): ProcessSampler {
  if (!(options.intervalMs > 0)) throw new RangeError("intervalMs must be positive");
  const samples: ProcessSample[] = [];
  const errors: string[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  const tick = () => {
    inFlight = sampleProcess(options.pid, options.metricsUrl).then(
      (s) => void samples.push(s),
      (e: unknown) => void errors.push(e instanceof Error ? e.message : String(e)),
    );
  };
  tick();
  const timer = setInterval(() => inFlight.then(tick), options.intervalMs);
  return {
    samples: () => samples,
    errors: () => errors,
    async stop() {
      clearInterval(timer);
      await inFlight;
      return samples;
    },
  };
}

/** Start and end of a soak (each the median of the first or last fifth of the samples) and whether it stayed flat. */
export interface FlatVerdict {
  readonly ok: boolean;
  readonly samples: number;
  readonly start: { readonly rssBytes: number; readonly openFds: number; readonly heapUsedBytes?: number; readonly eventLoopDelayMs?: number };
  readonly end: { readonly rssBytes: number; readonly openFds: number; readonly heapUsedBytes?: number; readonly eventLoopDelayMs?: number };
  /** The largest event-loop delay sampled, in ms. */
  readonly maxEventLoopDelayMs?: number;
  readonly reasons: readonly string[];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/**
 * Judges a soak flat: resident memory grew by at most `rssGrowthBytes` (default 64 MiB) and by at most
 * `rssGrowthRatio` (default 0.5), and descriptors by at most `fdGrowth` (default 16), start to end.
 */
export function judgeFlat(
  samples: readonly ProcessSample[],
  limits: { rssGrowthBytes?: number; rssGrowthRatio?: number; fdGrowth?: number } = {},
): FlatVerdict {
  if (samples.length < 2) throw new RangeError("a soak needs at least two samples");
  const fifth = Math.max(1, Math.floor(samples.length / 5));
  const summarize = (part: readonly ProcessSample[]) => {
    const heaps = part.flatMap((s) => (s.heapUsedBytes === undefined ? [] : [s.heapUsedBytes]));
    const delays = part.flatMap((s) => (s.eventLoopDelayMs === undefined ? [] : [s.eventLoopDelayMs]));
    return {
      rssBytes: median(part.map((s) => s.rssBytes)), openFds: median(part.map((s) => s.openFds)),
      ...(heaps.length ? { heapUsedBytes: median(heaps) } : {}), ...(delays.length ? { eventLoopDelayMs: median(delays) } : {}),
    };
  };
  const start = summarize(samples.slice(0, fifth));
  const end = summarize(samples.slice(-fifth));
  const reasons: string[] = [];
  const rssGrowth = end.rssBytes - start.rssBytes;
  if (rssGrowth > (limits.rssGrowthBytes ?? 64 << 20) && rssGrowth > start.rssBytes * (limits.rssGrowthRatio ?? 0.5)) {
    reasons.push(`resident memory grew from ${start.rssBytes} to ${end.rssBytes} bytes`);
  }
  if (end.openFds - start.openFds > (limits.fdGrowth ?? 16)) reasons.push(`open descriptors grew from ${start.openFds} to ${end.openFds}`);
  const delays = samples.flatMap((s) => (s.eventLoopDelayMs === undefined ? [] : [s.eventLoopDelayMs]));
  return { ok: reasons.length === 0, samples: samples.length, start, end, ...(delays.length ? { maxEventLoopDelayMs: Math.max(...delays) } : {}), reasons };
}
