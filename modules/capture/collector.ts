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
import { FOXGLOVE_LOG_SCHEMA } from "./sample_schema.ts";
import type { JsonSchemaObject } from "./sample_schema.ts";

/** Anything that can be sampled: a serial device, a simulated device, any async function. */
export interface Source<Sample = unknown> {
  /** Reads one sample; should stop promptly (reject or resolve) when `signal` aborts. */
  read(signal: AbortSignal): Promise<Sample>;
  /**
   * The JSON Schema of the samples (`type: "object"`, numeric fields typed), stored with the channel so Foxglove
   * can plot its fields. Without it the writer infers one from the first sample.
   */
  readonly sampleSchema?: JsonSchemaObject;
}

/** Where a collector puts its samples; a `CaptureWriter` is one. */
export interface SampleWriter {
  /** Stores one sample of `collector`'s `method`, read at `logTimeMs` (epoch ms). */
  write(collector: string, method: string, sample: unknown, logTimeMs?: number): Promise<void>;
  /** Declares the JSON Schema of a channel's samples (and its MCAP schema name); optional for simple writers. */
  declareSchema?(collector: string, method: string, schema: JsonSchemaObject, name?: string): void;
}

/** The method (channel `/<collector>/log`, schema `foxglove.Log`) a collector logs its failures and recoveries on. */
export const COLLECTOR_LOG_METHOD = "log";

/** A read later than this past its tick is taken as a forward wall-clock step, not as a slow read. */
const MAX_LATE_MS = 60_000;

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
  /** The method name, i.e. the channel `/<name>/<method>` in the capture files. Default `"read"`; not `"log"`. */
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
  /** Times the wall clock was seen stepping (back, or forward by more than a minute) and the schedule restarted. */
  readonly clockSteps: number;
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
  if (method === COLLECTOR_LOG_METHOD) {
    throw new InvalidOptionsError(`method "${COLLECTOR_LOG_METHOD}" is the collector's own foxglove.Log channel; choose another`);
  }
  const clock = options.clock ?? systemClock;
  const periodMs = 1000 / options.rateHz;
  let captured = 0;
  let missed = 0;
  let errors = 0;
  let lastError: Error | undefined;
  const startedAt = clock.now();
  /** Time of tick 0 of the schedule; moves when the wall clock steps. */
  let anchor = startedAt;
  let clockSteps = 0;

  if (source.sampleSchema) writer.declareSchema?.(name, method, source.sampleSchema);
  writer.declareSchema?.(name, COLLECTOR_LOG_METHOD, FOXGLOVE_LOG_SCHEMA.schema, FOXGLOVE_LOG_SCHEMA.name);
  /** Failures since the last successful sample: the first is logged, and the recovery after them. */
  let failing = 0;

  /** Writes a `foxglove.Log` entry on `/<name>/log`: 4 ERROR when reads start failing, 2 INFO when they recover. */
  async function log(level: 2 | 4, message: string, atMs: number): Promise<void> {
    const sec = Math.floor(atMs / 1000);
    const entry = { timestamp: { sec, nsec: Math.min(999_999_999, Math.round((atMs - sec * 1000) * 1e6)) }, level, message, name, file: "", line: 0 };
    await writer.write(name, COLLECTOR_LOG_METHOD, entry, atMs);
  }

  async function loop(): Promise<void> {
    let tick = 0;
    while (!signal.aborted) {
      const readAt = clock.now();
      try {
        const sample = await source.read(signal);
        if (signal.aborted) break;
        await writer.write(name, method, sample, readAt);
        captured++;
        if (failing > 0) {
          const count = failing;
          failing = 0;
          await log(2, `${method} reads again after ${count} failure(s)`, readAt);
        }
      } catch (error) {
        if (signal.aborted) break;
        errors++;
        lastError = error instanceof Error ? error : new Error(String(error));
        if (failing++ === 0) {
          const code = (lastError as { code?: unknown }).code;
          await log(4, `${method} failed${typeof code === "string" ? ` (${code})` : ""}: ${lastError.message}`, readAt).catch(
            (logError: unknown) => {
              // The log channel shares the writer: if it cannot take the entry either, that counts as one more error.
              errors++;
              lastError = logError instanceof Error ? logError : new Error(String(logError));
            },
          );
        }
      }
      const now = clock.now();
      const scheduled = anchor + tick * periodMs;
      if (now < scheduled - periodMs || now > scheduled + MAX_LATE_MS + periodMs) {
        // The wall clock stepped (NTP after boot): the schedule restarts from now instead of sleeping for the
        // step or counting it as millions of missed ticks.
        anchor = now - tick * periodMs;
        clockSteps++;
      }
      // Like a ticker that drops ticks for a slow receiver: if the read ran past scheduled ticks, the latest
      // of them runs at once (late) and the ones before it are missed; otherwise sleep until the next tick.
      const next = Math.max(tick + 1, Math.floor((now - anchor) / periodMs + 1e-9));
      missed += next - tick - 1;
      tick = next;
      const wait = anchor + tick * periodMs - now;
      if (wait > 0) await clock.sleep(wait, signal);
    }
  }

  const done = loop();
  return {
    name,
    done,
    stats(): CollectorStats {
      // Elapsed on the schedule: ticks so far, which clock steps do not distort.
      const elapsedS = Math.max(0, clock.now() - anchor) / 1000;
      return { captured, missed, errors, lastError, effectiveRateHz: elapsedS > 0 ? captured / elapsedS : 0, clockSteps };
    },
  };
}
