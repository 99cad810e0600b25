/**
 * A collector: one capture loop that reads a source at a fixed rate and hands every sample to a writer.
 * A slow read never overlaps the next one; ticks missed while a read ran long are counted, not queued.
 *
 * @module
 */
import { systemClock } from "./clock.ts";
import type { Clock } from "./clock.ts";
import { InvalidOptionsError } from "./errors.ts";
import { isValidCollectorName } from "./capture_file_name.ts";

/** Anything that can be sampled: a serial device, a simulated device, any async function. */
export interface Source<Sample = unknown> {
  /** Reads one sample; should stop promptly (reject or resolve) when `signal` aborts. */
  read(signal: AbortSignal): Promise<Sample>;
}

/** Where a collector puts its samples; a `CaptureWriter` is one. */
export interface SampleWriter {
  /** Stores one sample of `collector`'s `method`, read at `logTimeMs` (epoch ms). */
  write(collector: string, method: string, sample: unknown, logTimeMs?: number): Promise<void>;
}

/** Options of `createCollector`. */
export interface CollectorOptions<Sample = unknown> {
  /** The collector's name: part of file names, so 1 to 64 of `A-Z a-z 0-9 -`. */
  readonly name: string;
  /** What is sampled at every tick. */
  readonly source: Source<Sample>;
  /** Ticks per second; must be positive. */
  readonly rateHz: number;
  /** Where samples go; usually a `CaptureWriter`. */
  readonly writer: SampleWriter;
  /** The method name, i.e. the channel `/<name>/<method>` in the capture files. Default `"read"`. */
  readonly method?: string;
  /** Default `systemClock`; inject one to drive ticks in tests without sleeping. */
  readonly clock?: Clock;
  /** Stops the loop (and an in-flight read that honours it). */
  readonly signal: AbortSignal;
}

/** A collector's counters. */
export interface CollectorStats {
  /** Samples read and written. */
  readonly captured: number;
  /** Ticks skipped because a read (or write) ran past them. */
  readonly missed: number;
  /** Reads or writes that failed. */
  readonly errors: number;
  /** The last failure, if any. */
  readonly lastError: Error | undefined;
  /** Captured samples per second since the loop started. */
  readonly effectiveRateHz: number;
}

/** A running collector. */
export interface Collector {
  /** The collector's name, as given. */
  readonly name: string;
  /** A snapshot of the counters. */
  stats(): CollectorStats;
  /** Resolves once the loop has stopped after `signal` aborted (no read or write is in flight then). */
  readonly done: Promise<void>;
}

/**
 * Starts a collector loop: at every tick (`1000 / rateHz` ms apart) it reads `source` and writes the sample.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const collector = createCollector({
 *   name: "temp-module", source: createSimulatedTemperatureModule({ seed: 1 }), rateHz: 10, writer, signal: controller.signal,
 * });
 * // later
 * controller.abort();
 * await collector.done;
 * console.log(collector.stats());
 * ```
 */
export function createCollector<Sample>(options: CollectorOptions<Sample>): Collector {
  const { name, source, writer, signal } = options;
  if (!isValidCollectorName(name)) {
    throw new InvalidOptionsError(`collector name "${String(name)}" is invalid: use 1 to 64 of A-Z a-z 0-9 and "-"`);
  }
  if (typeof options.rateHz !== "number" || !Number.isFinite(options.rateHz) || options.rateHz <= 0) {
    throw new InvalidOptionsError(`rateHz must be a positive finite number, got ${String(options.rateHz)}`);
  }
  if (typeof source?.read !== "function") throw new InvalidOptionsError("source must have a read(signal) method");
  if (typeof writer?.write !== "function") throw new InvalidOptionsError("writer must have a write(...) method");
  if (!(signal instanceof AbortSignal)) throw new InvalidOptionsError("signal must be an AbortSignal");
  const method = options.method ?? "read";
  if (method.length === 0) throw new InvalidOptionsError("method must not be empty");
  const clock = options.clock ?? systemClock;
  const periodMs = 1000 / options.rateHz;
  let captured = 0;
  let missed = 0;
  let errors = 0;
  let lastError: Error | undefined;
  const startedAt = clock.now();

  async function loop(): Promise<void> {
    let tick = 0;
    while (!signal.aborted) {
      const readAt = clock.now();
      try {
        const sample = await source.read(signal);
        if (signal.aborted) break;
        await writer.write(name, method, sample, readAt);
        captured++;
      } catch (error) {
        if (signal.aborted) break;
        errors++;
        lastError = error instanceof Error ? error : new Error(String(error));
      }
      const now = clock.now();
      // Like a ticker that drops ticks for a slow receiver: if the read ran past scheduled ticks, the latest
      // of them runs at once (late) and the ones before it are missed; otherwise sleep until the next tick.
      const next = Math.max(tick + 1, Math.floor((now - startedAt) / periodMs + 1e-9));
      missed += next - tick - 1;
      tick = next;
      const wait = startedAt + tick * periodMs - now;
      if (wait > 0) await clock.sleep(wait, signal);
    }
  }

  const done = loop();
  return {
    name,
    done,
    stats(): CollectorStats {
      const elapsedS = (clock.now() - startedAt) / 1000;
      return { captured, missed, errors, lastError, effectiveRateHz: elapsedS > 0 ? captured / elapsedS : 0 };
    },
  };
}
