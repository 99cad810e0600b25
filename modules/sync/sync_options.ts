/**
 * The engine's options, their documented defaults, and their validation (nonsense is refused with
 * `InvalidOptionsError` at construction and by `reconfigure`, never discovered later).
 *
 * @module
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { InvalidOptionsError } from "./errors.ts";
import type { SyncEvent } from "./sync_event.ts";
import type { UploadTarget } from "./upload_target.ts";

/** Exponential backoff with full jitter: the n-th retry waits a random time in `[0, min(maxMs, initialMs * multiplier^n))`. */
export interface BackoffOptions {
  /** The first retry's upper bound in ms. Default 500. */
  readonly initialMs?: number;
  /** The largest upper bound in ms. Default 60,000. */
  readonly maxMs?: number;
  /** Growth per retry. Default 2. */
  readonly multiplier?: number;
}

/** Options of {@link createSyncEngine}. */
export interface SyncEngineOptions {
  /** The capture directory: every finished `*.mcap` file in it is uploaded (never `*.mcap.part`). */
  readonly captureDir: string;
  /** More directories whose files (recursively) are uploaded once unmodified for `fileQuietMs`. Default none. */
  readonly additionalPaths?: readonly string[];
  /** Where files go. */
  readonly target: UploadTarget;
  /** Parallel uploads. Default `max(1, floor(cores / 2))`. */
  readonly concurrency?: number;
  /** How often the directories are scanned, in ms. Default 6,000. */
  readonly scanIntervalMs?: number;
  /** How long a file under `additionalPaths` must stay unmodified before it is uploaded, in ms. Default 10,000. */
  readonly fileQuietMs?: number;
  /** Retry backoff. */
  readonly backoff?: BackoffOptions;
  /** Where files with terminal errors go, each beside a `<name>.json` note. Default `<captureDir>/failed`. */
  readonly failedDir?: string;
  /** The total upload rate limit in bytes per second across all uploads. Default unlimited. */
  readonly bandwidthBytesPerSec?: number;
  /** Aborting it closes the engine (like `close()`). */
  readonly signal?: AbortSignal;
  /** Receives connectivity changes, uploads, retries and failures. */
  readonly onEvent?: (event: SyncEvent) => void;
  /** The random source of the backoff jitter, in `[0, 1)`. Default `Math.random`. */
  readonly random?: () => number;
}

/** The options after defaults, as the engine uses them. */
export interface ResolvedSyncOptions {
  readonly captureDir: string;
  readonly additionalPaths: readonly string[];
  readonly target: UploadTarget;
  readonly concurrency: number;
  readonly scanIntervalMs: number;
  readonly fileQuietMs: number;
  readonly backoff: Required<BackoffOptions>;
  readonly failedDir: string;
  readonly bandwidthBytesPerSec: number | undefined;
  readonly onEvent: ((event: SyncEvent) => void) | undefined;
  readonly random: () => number;
}

function refuse(message: string): never {
  throw new InvalidOptionsError(message);
}

function checkPath(name: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.includes("\0")) refuse(`${name} must be a non-empty path`);
  return resolve(value);
}

function checkNumber(name: string, value: unknown, fallback: number, min: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    refuse(`${name} must be ${integer ? "an integer" : "a finite number"} >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Applies defaults and validates; throws `InvalidOptionsError` for nonsense. */
export function resolveSyncOptions(options: SyncEngineOptions): ResolvedSyncOptions {
  if (typeof options !== "object" || options === null) refuse("createSyncEngine needs an options object");
  const captureDir = checkPath("captureDir", options.captureDir);
  const target = options.target;
  if (
    typeof target !== "object" || target === null ||
    !["resumeOffset", "put", "stat", "probe"].every((m) => typeof (target as unknown as Record<string, unknown>)[m] === "function")
  ) {
    refuse("target must be an UploadTarget (directoryTarget, httpTarget, s3Target)");
  }
  const additional = options.additionalPaths ?? [];
  if (!Array.isArray(additional)) refuse("additionalPaths must be an array of paths");
  const additionalPaths = additional.map((p, i) => checkPath(`additionalPaths[${i}]`, p));
  const failedDir = options.failedDir === undefined ? resolve(captureDir, "failed") : checkPath("failedDir", options.failedDir);
  if (failedDir === captureDir || additionalPaths.includes(failedDir)) refuse("failedDir must not be a directory that is synced");
  const cores = availableParallelism();
  const concurrency = checkNumber("concurrency", options.concurrency, Math.max(1, Math.floor(cores / 2)), 1, true);
  if (concurrency > 1024) refuse(`concurrency must be at most 1024, got ${concurrency}`);
  const scanIntervalMs = checkNumber("scanIntervalMs", options.scanIntervalMs, 6_000, 1);
  const fileQuietMs = checkNumber("fileQuietMs", options.fileQuietMs, 10_000, 0);
  const b = options.backoff ?? {};
  if (typeof b !== "object" || b === null) refuse("backoff must be an object");
  const initialMs = checkNumber("backoff.initialMs", b.initialMs, 500, 1);
  const maxMs = checkNumber("backoff.maxMs", b.maxMs, Math.max(60_000, initialMs), initialMs);
  const multiplier = checkNumber("backoff.multiplier", b.multiplier, 2, 1);
  let bandwidthBytesPerSec: number | undefined;
  if (options.bandwidthBytesPerSec !== undefined && options.bandwidthBytesPerSec !== Infinity) {
    bandwidthBytesPerSec = checkNumber("bandwidthBytesPerSec", options.bandwidthBytesPerSec, 0, 1);
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== "function") refuse("onEvent must be a function");
  if (options.random !== undefined && typeof options.random !== "function") refuse("random must be a function");
  return {
    captureDir,
    additionalPaths,
    target,
    concurrency,
    scanIntervalMs,
    fileQuietMs,
    backoff: { initialMs, maxMs, multiplier },
    failedDir,
    bandwidthBytesPerSec,
    onEvent: options.onEvent,
    random: options.random ?? Math.random,
  };
}
