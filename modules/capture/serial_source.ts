/**
 * A serial line source over `@serialport/stream`, with the binding passed in (`@serialport/bindings-cpp` on a
 * robot under Node, `@serialport/binding-mock` in tests and under Deno). Each read optionally writes a poll
 * (`M105\n`) and resolves with the first answer line that parses. An unplugged or silent device is dropped
 * and reopened with exponential backoff; the time without a connection is counted as the gap.
 *
 * @module
 */
import { SerialPortStream } from "@serialport/stream";
import type { OpenOptions } from "@serialport/stream";
import type { Source } from "./collector.ts";
import { systemClock } from "./clock.ts";
import type { Clock } from "./clock.ts";
import { InvalidOptionsError, SourceDisconnectedError, SourceReadError } from "./errors.ts";
import { jsonSchemaProblem } from "./sample_schema.ts";
import type { JsonSchemaObject } from "./sample_schema.ts";

/** A `@serialport` binding (`BindingInterface`): how ports are opened on this machine or in a test. */
export type SerialBinding = OpenOptions["binding"];

/** Options of `createSerialSource`. */
export interface SerialSourceOptions<Sample> {
  /** The device path, e.g. `/dev/ttyACM0`. */
  readonly path: string;
  /** The line speed, e.g. 115200. */
  readonly baudRate: number;
  /** The binding that opens the port: `@serialport/bindings-cpp`'s `autoDetect()` on a robot, `MockBinding` in tests. */
  readonly binding: SerialBinding;
  /** Parses one received line (without its line ending); `undefined` skips the line (e.g. `ok`). A throw counts as a read error. */
  readonly parse: (line: string) => Sample | undefined;
  /** Written before each read (a poll such as `"M105\n"`); absent for devices that stream lines by themselves. */
  readonly request?: string;
  /** A read with no parsable line within this time fails and the port is reopened. Default 1000. */
  readonly responseTimeoutMs?: number;
  /** Reconnect delay after a disconnect, doubled per failed attempt up to `maxMs`. Default `{ initialMs: 100, maxMs: 5000 }`. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Default `systemClock`. */
  readonly clock?: Clock;
  /** The JSON Schema of the parsed samples. Default: `parse.sampleSchema` when the parser carries one. */
  readonly sampleSchema?: JsonSchemaObject;
}

/** Connection counters of a serial source. */
export interface SerialSourceStats {
  /** Whether the port is open now. */
  readonly connected: boolean;
  /** Times the port was lost (unplugged, write or read failure, answer timeout). */
  readonly disconnects: number;
  /** Times the port was opened again after being lost. */
  readonly reconnects: number;
  /** Total milliseconds between losing the port and opening it again (the current gap included). */
  readonly gapMs: number;
  /** Lines received between reads and dropped, oldest first, once more than 1024 were waiting (streaming devices). */
  readonly discardedLines: number;
  /** The last connection or I/O failure, if any. */
  readonly lastError: Error | undefined;
}

/** A serial line source: a `Source` with connection stats and a `close()`. */
export interface SerialSource<Sample> extends Source<Sample> {
  /** A snapshot of the connection counters. */
  stats(): SerialSourceStats;
  /** Closes the port; later reads reopen it. */
  close(): Promise<void>;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new InvalidOptionsError(`${name} must be a positive finite number, got ${String(value)}`);
  }
  return v;
}

const MAX_BUFFERED_LINES = 1024;
/** The reason a read's internal timeout signal is aborted with once the read settles (one object, no DOMException per read). */
const READ_SETTLED = Object.freeze({ reason: "the serial read settled" });

interface LineWaiter {
  readonly accept: (line: string) => boolean;
  readonly fail: (error: Error) => void;
}

/**
 * Creates a serial line source.
 *
 * @example
 * ```ts
 * import { autoDetect } from "@serialport/bindings-cpp";
 * const source = createSerialSource({
 *   path: "/dev/ttyACM0", baudRate: 115200, binding: autoDetect(), request: "M105\n", parse: parseTemperatureResponse,
 * });
 * const reading = await source.read(AbortSignal.timeout(2000));
 * ```
 */
export function createSerialSource<Sample>(options: SerialSourceOptions<Sample>): SerialSource<Sample> {
  if (typeof options?.path !== "string" || options.path.length === 0) throw new InvalidOptionsError("path must be a non-empty string");
  const baudRate = positive("baudRate", options.baudRate, 0);
  const responseTimeoutMs = positive("responseTimeoutMs", options.responseTimeoutMs, 1000);
  const initialBackoffMs = positive("backoff.initialMs", options.backoff?.initialMs, 100);
  const maxBackoffMs = positive("backoff.maxMs", options.backoff?.maxMs, 5000);
  if (maxBackoffMs < initialBackoffMs) throw new InvalidOptionsError("backoff.maxMs must be >= backoff.initialMs");
  if (typeof options.binding?.open !== "function") throw new InvalidOptionsError("binding must be a @serialport binding");
  if (typeof options.parse !== "function") throw new InvalidOptionsError("parse must be a function");
  const { path, binding, parse, request } = options;
  const sampleSchema = options.sampleSchema ?? (parse as { sampleSchema?: JsonSchemaObject }).sampleSchema;
  const schemaProblem = sampleSchema === undefined ? undefined : jsonSchemaProblem(sampleSchema);
  if (schemaProblem) throw new InvalidOptionsError(`sampleSchema is not usable: ${schemaProblem}`);
  const clock = options.clock ?? systemClock;

  let port: SerialPortStream | undefined;
  let partial = "";
  let lines: string[] = [];
  let waiter: LineWaiter | undefined;
  let disconnects = 0;
  let discardedLines = 0;
  let reconnects = 0;
  let gapMs = 0;
  let lastError: Error | undefined;
  let lostAt: number | undefined;
  let backoffMs = initialBackoffMs;
  let nextAttemptAt = Number.NEGATIVE_INFINITY;

  function lose(error: Error): void {
    lastError = error;
    const lost = port;
    if (!lost) return;
    port = undefined;
    lost.removeAllListeners("data");
    lost.removeAllListeners("close");
    if (lost.isOpen) {
      lost.close((closeError) => {
        if (closeError) lastError = closeError;
      });
    }
    disconnects++;
    lostAt = clock.now();
    nextAttemptAt = lostAt + backoffMs;
    lines = [];
    partial = "";
    waiter?.fail(new SourceDisconnectedError(`serial device ${path} disconnected: ${error.message}`, { cause: error }));
    waiter = undefined;
  }

  function onData(chunk: Buffer): void {
    partial += chunk.toString("latin1");
    let newline: number;
    while ((newline = partial.indexOf("\n")) >= 0) {
      const line = partial.slice(0, newline).replace(/\r$/, "");
      partial = partial.slice(newline + 1);
      if (waiter && waiter.accept(line)) waiter = undefined;
      else if (!waiter) {
        lines.push(line);
        // Lines between reads of a chatty streaming device are bounded: the oldest go, and are counted.
        if (lines.length > MAX_BUFFERED_LINES) {
          lines.shift();
          discardedLines++;
        }
      }
    }
  }

  async function connect(): Promise<SerialPortStream> {
    const now = clock.now();
    // A wait longer than the longest backoff means the wall clock stepped back: try now rather than wait the step out.
    if (nextAttemptAt - now > maxBackoffMs) nextAttemptAt = now;
    if (now < nextAttemptAt) {
      throw new SourceDisconnectedError(
        `serial device ${path} is not connected; next attempt in ${Math.ceil(nextAttemptAt - now)} ms`,
        { cause: lastError },
      );
    }
    const opening = new SerialPortStream({ binding, path, baudRate, autoOpen: false });
    try {
      await new Promise<void>((resolve, reject) => opening.open((error) => (error ? reject(error) : resolve())));
    } catch (error) {
      lastError = error as Error;
      backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
      nextAttemptAt = clock.now() + backoffMs;
      throw new SourceDisconnectedError(`could not open serial device ${path}: ${(error as Error).message}`, { cause: error });
    }
    const opened = clock.now();
    if (lostAt !== undefined) {
      gapMs += Math.max(0, opened - lostAt); // a backward clock step must not make the gap negative
      reconnects++;
      lostAt = undefined;
    }
    backoffMs = initialBackoffMs;
    opening.on("data", onData);
    opening.on("close", (error?: Error | null) => {
      if (port === opening) lose(error ?? new Error("port closed"));
    });
    opening.on("error", (error: Error) => {
      lastError = error;
      if (port === opening) lose(error);
    });
    port = opening;
    return opening;
  }

  async function read(signal: AbortSignal): Promise<Sample> {
    if (signal.aborted) throw signal.reason;
    if (waiter) throw new SourceReadError("a read is already in flight; reads must not overlap");
    const current = port ?? (await connect());
    const stop = new AbortController();
    let resolveAborted!: (value: "aborted") => void;
    const aborted = new Promise<"aborted">((resolve) => (resolveAborted = resolve));
    // One listener on the caller's long-lived signal, removed after every read (a collector reads for months).
    const onAbort = (): void => {
      stop.abort(READ_SETTLED);
      resolveAborted("aborted");
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const answer = new Promise<Sample>((resolve, reject) => {
        waiter = {
          accept(line) {
            let sample: Sample | undefined;
            try {
              sample = parse(line);
            } catch (error) {
              reject(new SourceReadError(`serial device ${path} sent an unparsable line ${JSON.stringify(line)}`, { cause: error }));
              return true;
            }
            if (sample === undefined) return false;
            resolve(sample);
            return true;
          },
          fail: reject,
        };
        if (!request) {
          // A streaming device: take a line already received, if any.
          while (waiter && lines.length > 0) {
            if (waiter.accept(lines.shift()!)) waiter = undefined;
          }
        }
      });
      if (request) {
        lines = []; // answers to earlier polls are stale
        current.write(request, (error) => {
          if (error && port === current) lose(error);
        });
      }
      const timeout = clock.sleep(responseTimeoutMs, stop.signal).then(() => "timeout" as const);
      if (signal.aborted) onAbort();
      const result = await Promise.race([answer.then((sample) => ({ sample })), timeout, aborted]);
      if (result === "aborted") throw signal.reason;
      if (result === "timeout") {
        const error = new SourceDisconnectedError(`serial device ${path} did not answer within ${responseTimeoutMs} ms`);
        if (port === current) lose(error);
        throw error;
      }
      return result.sample;
    } finally {
      waiter = undefined;
      stop.abort(READ_SETTLED);
      signal.removeEventListener("abort", onAbort);
    }
  }

  return {
    read,
    ...(sampleSchema ? { sampleSchema } : {}),
    stats(): SerialSourceStats {
      const currentGap = lostAt === undefined ? 0 : Math.max(0, clock.now() - lostAt);
      return { connected: port !== undefined, disconnects, reconnects, gapMs: gapMs + currentGap, discardedLines, lastError };
    },
    async close(): Promise<void> {
      const open = port;
      port = undefined;
      if (!open) return;
      open.removeAllListeners("data");
      open.removeAllListeners("close");
      if (!open.isOpen) return;
      await new Promise<void>((resolve, reject) => open.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
