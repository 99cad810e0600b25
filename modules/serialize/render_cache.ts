/**
 * A content-addressed render cache: each output is rendered at most once per key (the content hash of the
 * renderer's name, version and input), written atomically, and reported as `rendering`, `ready` or `failed`
 * with the reason, so an HTTP layer answers 202, 200 or 500 and never an endless 404. The key is the ETag.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import { contentHash } from "./canonical_json.ts";
import { defineCodec } from "./codec.ts";
import { InvalidOptionsError, RenderCacheClosedError, UnknownRendererError } from "./errors.ts";

/** A source of time in epoch milliseconds; tests pass a fake one to step through backoffs without sleeping. */
export interface Clock {
  now(): number;
}

/** What a renderer receives besides its input: a signal that fires when the cache closes. */
export interface RenderContext {
  readonly signal: AbortSignal;
}

/** What a renderer produces: text (stored as UTF-8), bytes, or a stream of either (written as it arrives). */
export type RenderOutput = string | Uint8Array | AsyncIterable<string | Uint8Array>;

/**
 * Turns an input into an output of one content type. Bump `version` whenever the output for the same input
 * would change: the key includes it, so old outputs are never served and `gc` reclaims them.
 */
export interface Renderer<I = unknown> {
  /** Unique within a cache, e.g. `"run-report-html"`. */
  readonly name: string;
  /** The renderer's output version. */
  readonly version: string | number;
  /** The HTTP content type of the output, e.g. `"text/html; charset=utf-8"`. */
  readonly contentType: string;
  /** Renders `input`; a throw (or rejection) is recorded as a failure, retried after a backoff. */
  render(input: I, context: RenderContext): RenderOutput | Promise<RenderOutput>;
}

/** Backoff for failed renders: the n-th consecutive failure waits `min(maxDelayMs, initialDelayMs * 2^(n-1))`. */
export interface RetryOptions {
  /** Wait after the first failure. Default 1000 ms. */
  readonly initialDelayMs?: number;
  /** Longest wait. Default 600 000 ms (10 minutes). */
  readonly maxDelayMs?: number;
}

/** Options of `createRenderCache`. */
export interface RenderCacheOptions {
  /** The directory holding outputs (`<key>.out`) and their status (`<key>.json`); created if missing. One cache per directory. */
  readonly dir: string;
  /** The renderers this cache serves; names must be unique. */
  readonly renderers: readonly Renderer<never>[];
  /** Time source for backoffs and timestamps. Default `Date`. */
  readonly clock?: Clock;
  /** Backoff for failed renders. */
  readonly retry?: RetryOptions;
}

/** Why a render failed, as plain data (also stored beside the output). */
export interface RenderFailure {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

/** A rendered output: answer 200 with `ETag: "<key>"`. */
export interface RenderReady {
  readonly status: "ready";
  /** The content hash of `{ name, version, input }`: the ETag. */
  readonly key: string;
  readonly contentType: string;
  readonly body: Uint8Array;
  /** When it was rendered (epoch ms, from the cache's clock). */
  readonly renderedAt: number;
}

/** A render in progress: answer 202 and poll again. */
export interface RenderPending {
  readonly status: "rendering";
  readonly key: string;
  readonly contentType: string;
}

/** A failed render: answer 500 with the reason (and `Retry-After` from `retryAt`). */
export interface RenderFailed {
  readonly status: "failed";
  readonly key: string;
  readonly contentType: string;
  readonly error: RenderFailure;
  /** Consecutive failed attempts. */
  readonly attempts: number;
  /** Epoch ms from which the next `get` or `status` renders again. */
  readonly retryAt: number;
}

/** The state of one output. */
export type RenderResult = RenderReady | RenderPending | RenderFailed;

/** What `gc` removed. */
export interface GcReport {
  /** Outputs (keys) removed. */
  readonly removed: number;
  /** Bytes of outputs, status files and leftover temp files freed. */
  readonly bytesFreed: number;
}

/** Counts for monitoring: the directory's contents and this process's activity since the cache was created. */
export interface RenderCacheStats {
  /** Keys with a status file on disk. */
  readonly entries: number;
  readonly ready: number;
  readonly failed: number;
  /** Bytes of outputs and status files on disk. */
  readonly bytes: number;
  /** Renders running now. */
  readonly rendering: number;
  /** Renders started since creation. */
  readonly renders: number;
  /** Lookups answered from disk without rendering. */
  readonly hits: number;
  /** Renders that failed since creation. */
  readonly failures: number;
}

/** Options of a call that may wait for a render. */
export interface WaitOptions {
  /** Stops waiting when aborted; the render itself is shared and goes on. */
  readonly signal?: AbortSignal;
}

/** A content-addressed render cache; see `createRenderCache`. */
export interface RenderCache {
  /** The key (and ETag) of `renderer`'s output for `input`: `contentHash({ name, version, input })`. */
  key<I>(renderer: Renderer<I> | string, input: I): string;
  /**
   * Returns the ready output or the failure, rendering first if needed; concurrent calls share one render.
   * Aborting `options.signal` stops this call's wait (it rejects with the signal's reason); the shared render
   * goes on for the other callers and is stored for the next one.
   */
  get<I>(renderer: Renderer<I> | string, input: I, options?: WaitOptions): Promise<RenderReady | RenderFailed>;
  /** Like `get` but does not wait for a render: it starts one if needed and answers `rendering`. */
  status<I>(renderer: Renderer<I> | string, input: I): Promise<RenderResult>;
  /** Removes every output whose key is not in `liveKeys` (renders in progress are kept). */
  gc(liveKeys: Iterable<string>): Promise<GcReport>;
  /** Scans the directory and reports counts. */
  stats(): Promise<RenderCacheStats>;
  /** Aborts renders in progress (their signal fires), waits for them, and refuses further calls. */
  close(): Promise<void>;
}

const failureSchema = v.object({ name: v.string(), message: v.string(), code: v.optional(v.string()) });
const entrySchema = v.variant("status", [
  v.object({
    status: v.literal("ready"),
    key: v.string(),
    renderer: v.string(),
    version: v.union([v.string(), v.number()]),
    contentType: v.string(),
    bytes: v.number(),
    renderedAt: v.number(),
  }),
  v.object({
    status: v.literal("failed"),
    key: v.string(),
    renderer: v.string(),
    version: v.union([v.string(), v.number()]),
    contentType: v.string(),
    error: failureSchema,
    attempts: v.number(),
    failedAt: v.number(),
    retryAt: v.number(),
  }),
]);
type Entry = v.InferOutput<typeof entrySchema>;
/** The status file beside each output, read through our own never-throwing codec. */
const entryCodec = defineCodec({ name: "render-cache-entry", version: 1, schema: entrySchema });

const KEY_FILE = /^([0-9a-f]{64})\.(out|json)$/;
const TEMP_FILE = /^\.tmp-([0-9a-f]{64})-/;

interface Operation {
  readonly done: Promise<RenderReady | RenderFailed>;
  readonly started: Promise<void>;
}

/**
 * Opens (creating if needed) a render cache over `dir`, removing temp files a crash left behind.
 *
 * Durability: an output is written to a temp file, fsynced, renamed to `<key>.out`, and only then is a
 * `ready` status file written the same way. After a `kill -9` at any instant, an output is served only if
 * its `ready` status file exists and its size matches: a half-written output is never served; it is rendered
 * again on the next `get`.
 *
 * @example
 * ```ts
 * const report: Renderer<{ runId: string }> = {
 *   name: "run-report", version: 1, contentType: "text/html; charset=utf-8",
 *   render: ({ runId }) => `<h1>Run ${runId}</h1>`,
 * };
 * const cache = await createRenderCache({ dir: "/var/lib/deckhand/renders", renderers: [report] });
 * const result = await cache.get(report, { runId: "r1" });
 * if (result.status === "ready") console.log(result.key, new TextDecoder().decode(result.body));
 * else console.error(result.error.message, new Date(result.retryAt));
 * ```
 */
export async function createRenderCache(options: RenderCacheOptions): Promise<RenderCache> {
  const settings = checkOptions(options);
  await mkdir(settings.dir, { recursive: true });
  for (const name of await readdir(settings.dir)) {
    if (TEMP_FILE.test(name)) await rm(join(settings.dir, name), { force: true });
  }
  await syncDirectory(settings.dir);
  return new FileRenderCache(settings);
}

interface Settings {
  readonly dir: string;
  readonly renderers: ReadonlyMap<string, Renderer<never>>;
  readonly clock: Clock;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

function checkOptions(options: RenderCacheOptions): Settings {
  if (typeof options !== "object" || options === null) {
    throw new InvalidOptionsError("createRenderCache needs options { dir, renderers }");
  }
  if (typeof options.dir !== "string" || options.dir.length === 0) {
    throw new InvalidOptionsError("createRenderCache: dir must be a non-empty path");
  }
  if (!Array.isArray(options.renderers)) {
    throw new InvalidOptionsError("createRenderCache: renderers must be an array");
  }
  const renderers = new Map<string, Renderer<never>>();
  for (const renderer of options.renderers) {
    const valid = typeof renderer === "object" && renderer !== null &&
      typeof renderer.name === "string" && renderer.name.length > 0 &&
      (typeof renderer.version === "string" || (typeof renderer.version === "number" && Number.isFinite(renderer.version))) &&
      typeof renderer.contentType === "string" && renderer.contentType.length > 0 &&
      typeof renderer.render === "function";
    if (!valid) {
      throw new InvalidOptionsError(
        "createRenderCache: each renderer needs a name, a version (string or finite number), a contentType and a render function",
      );
    }
    if (renderers.has(renderer.name)) {
      throw new InvalidOptionsError(`createRenderCache: two renderers are named "${renderer.name}"`);
    }
    renderers.set(renderer.name, renderer);
  }
  const initialDelayMs = options.retry?.initialDelayMs ?? 1000;
  const maxDelayMs = options.retry?.maxDelayMs ?? 600_000;
  for (const [label, value] of [["initialDelayMs", initialDelayMs], ["maxDelayMs", maxDelayMs]] as const) {
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new InvalidOptionsError(`createRenderCache: retry.${label} must be a positive number of milliseconds`);
    }
  }
  if (maxDelayMs < initialDelayMs) {
    throw new InvalidOptionsError("createRenderCache: retry.maxDelayMs must be at least retry.initialDelayMs");
  }
  const clock = options.clock ?? Date;
  if (typeof clock.now !== "function") throw new InvalidOptionsError("createRenderCache: clock needs a now() method");
  return { dir: options.dir, renderers, clock, initialDelayMs, maxDelayMs };
}

class FileRenderCache implements RenderCache {
  readonly #settings: Settings;
  readonly #operations = new Map<string, Operation>();
  readonly #rendering = new Set<string>();
  /** Failures whose status file could not be written, so their backoff still holds in this process. */
  readonly #unpersistedFailures = new Map<string, RenderFailed>();
  readonly #abort = new AbortController();
  #closed = false;
  #renders = 0;
  #hits = 0;
  #failures = 0;

  constructor(settings: Settings) {
    this.#settings = settings;
  }

  key<I>(renderer: Renderer<I> | string, input: I): string {
    const known = this.#resolve(renderer);
    return contentHash({ name: known.name, version: known.version, input });
  }

  async get<I>(renderer: Renderer<I> | string, input: I, options: WaitOptions = {}): Promise<RenderReady | RenderFailed> {
    this.#assertOpen();
    const known = this.#resolve(renderer);
    const key = this.key(known, input);
    const signal = options.signal;
    signal?.throwIfAborted();
    const done = this.#operation(known, key, input).done;
    if (!signal) return await done;
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([done, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async status<I>(renderer: Renderer<I> | string, input: I): Promise<RenderResult> {
    this.#assertOpen();
    const known = this.#resolve(renderer);
    const key = this.key(known, input);
    const pending: RenderPending = { status: "rendering", key, contentType: known.contentType };
    if (this.#rendering.has(key)) return pending;
    const operation = this.#operation(known, key, input);
    return await Promise.race([operation.done, operation.started.then(() => pending)]);
  }

  async gc(liveKeys: Iterable<string>): Promise<GcReport> {
    this.#assertOpen();
    const live = new Set(liveKeys);
    const removedKeys = new Set<string>();
    let bytesFreed = 0;
    for (const name of await readdir(this.#settings.dir)) {
      const key = KEY_FILE.exec(name)?.[1] ?? TEMP_FILE.exec(name)?.[1];
      if (key === undefined || live.has(key) || this.#operations.has(key)) continue;
      const path = join(this.#settings.dir, name);
      bytesFreed += await sizeOrZero(path);
      await rm(path, { force: true });
      if (KEY_FILE.test(name)) removedKeys.add(key);
    }
    for (const key of this.#unpersistedFailures.keys()) {
      if (!live.has(key)) this.#unpersistedFailures.delete(key);
    }
    await syncDirectory(this.#settings.dir);
    return { removed: removedKeys.size, bytesFreed };
  }

  async stats(): Promise<RenderCacheStats> {
    this.#assertOpen();
    let entries = 0;
    let ready = 0;
    let failed = 0;
    let bytes = 0;
    for (const name of await readdir(this.#settings.dir)) {
      const match = KEY_FILE.exec(name);
      if (!match) continue;
      const path = join(this.#settings.dir, name);
      bytes += await sizeOrZero(path);
      if (match[2] !== "json") continue;
      entries++;
      const decoded = entryCodec.decode(await readTextOrEmpty(path), 1);
      if (decoded.ok && decoded.value.status === "ready") ready++;
      if (decoded.ok && decoded.value.status === "failed") failed++;
    }
    return {
      entries,
      ready,
      failed,
      bytes,
      rendering: this.#rendering.size,
      renders: this.#renders,
      hits: this.#hits,
      failures: this.#failures,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort(new RenderCacheClosedError("the render cache was closed"));
    await Promise.allSettled([...this.#operations.values()].map((operation) => operation.done));
  }

  #assertOpen(): void {
    if (this.#closed) throw new RenderCacheClosedError("the render cache is closed; create a new one");
  }

  #resolve<I>(renderer: Renderer<I> | string): Renderer<I> {
    const name = typeof renderer === "string" ? renderer : renderer?.name;
    const known = typeof name === "string" ? this.#settings.renderers.get(name) : undefined;
    if (!known || (typeof renderer !== "string" && renderer.version !== known.version)) {
      const version = typeof renderer === "string" ? "" : ` version ${String(renderer?.version)}`;
      throw new UnknownRendererError(
        `the render cache has no renderer "${String(name)}"${version}; pass it in createRenderCache({ renderers })`,
      );
    }
    return known as unknown as Renderer<I>;
  }

  /** Joins the lookup-or-render already running for `key`, or starts one: this is the single flight. */
  #operation<I>(renderer: Renderer<I>, key: string, input: I): Operation {
    const running = this.#operations.get(key);
    if (running) return running;
    let markStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const done = this.#lookupOrRender(renderer, key, input, markStarted).finally(() => {
      this.#operations.delete(key);
    });
    const operation = { done, started };
    this.#operations.set(key, operation);
    return operation;
  }

  async #lookupOrRender<I>(renderer: Renderer<I>, key: string, input: I, markStarted: () => void): Promise<RenderReady | RenderFailed> {
    const existing = await this.#readEntry(key);
    if (existing?.status === "ready") {
      this.#hits++;
      return existing;
    }
    if (existing?.status === "failed" && this.#settings.clock.now() < existing.retryAt) return existing;
    const attempts = existing?.status === "failed" ? existing.attempts : 0;
    this.#rendering.add(key);
    markStarted();
    try {
      return await this.#renderAndStore(renderer, key, input, attempts);
    } finally {
      this.#rendering.delete(key);
    }
  }

  async #readEntry(key: string): Promise<RenderReady | RenderFailed | undefined> {
    const dir = this.#settings.dir;
    const text = await readTextOrEmpty(join(dir, `${key}.json`));
    const decoded = entryCodec.decode(text, 1);
    // A missing or unreadable status file means "not rendered": the output is rendered again.
    if (!decoded.ok || decoded.value.key !== key) return this.#unpersistedFailures.get(key);
    const entry = decoded.value;
    if (entry.status === "failed") return failedResult(entry);
    const body = await readBytesOrUndefined(join(dir, `${key}.out`));
    if (!body || body.byteLength !== entry.bytes) return undefined;
    return { status: "ready", key, contentType: entry.contentType, body, renderedAt: entry.renderedAt };
  }

  async #renderAndStore<I>(renderer: Renderer<I>, key: string, input: I, attempts: number): Promise<RenderReady | RenderFailed> {
    this.#renders++;
    const dir = this.#settings.dir;
    const temp = join(dir, `.tmp-${key}-${randomUUID()}`);
    let body: Uint8Array;
    try {
      const output = await renderer.render(input, { signal: this.#abort.signal });
      body = await writeDurably(temp, output);
      await rename(temp, join(dir, `${key}.out`));
      // The output's directory entry is durable before any status can say "ready".
      await syncDirectory(dir);
    } catch (error) {
      await rm(temp, { force: true });
      return await this.#recordFailure(renderer, key, attempts + 1, error);
    }
    const renderedAt = this.#settings.clock.now();
    const entry: Entry = {
      status: "ready",
      key,
      renderer: renderer.name,
      version: renderer.version,
      contentType: renderer.contentType,
      bytes: body.byteLength,
      renderedAt,
    };
    try {
      await writeStatusFile(dir, key, entry);
    } catch (error) {
      return await this.#recordFailure(renderer, key, attempts + 1, error);
    }
    this.#unpersistedFailures.delete(key);
    return { status: "ready", key, contentType: renderer.contentType, body, renderedAt };
  }

  async #recordFailure(renderer: Renderer<never>, key: string, attempts: number, error: unknown): Promise<RenderFailed> {
    this.#failures++;
    const failedAt = this.#settings.clock.now();
    const delay = Math.min(this.#settings.maxDelayMs, this.#settings.initialDelayMs * 2 ** (attempts - 1));
    const entry: Entry = {
      status: "failed",
      key,
      renderer: renderer.name,
      version: renderer.version,
      contentType: renderer.contentType,
      error: describeFailure(error),
      attempts,
      failedAt,
      retryAt: failedAt + delay,
    };
    const result = failedResult(entry);
    if (this.#closed) return result;
    try {
      await writeStatusFile(this.#settings.dir, key, entry);
      this.#unpersistedFailures.delete(key);
    } catch (writeError) {
      // The disk refused the status file too: keep the failure (and its backoff) in memory, naming both causes.
      const both = failedResult({
        ...entry,
        error: { ...entry.error, message: `${entry.error.message} (and its status file could not be written: ${describeFailure(writeError).message})` },
      });
      this.#unpersistedFailures.set(key, both);
      return both;
    }
    return result;
  }
}

function failedResult(entry: Extract<Entry, { status: "failed" }>): RenderFailed {
  return {
    status: "failed",
    key: entry.key,
    contentType: entry.contentType,
    error: entry.error,
    attempts: entry.attempts,
    retryAt: entry.retryAt,
  };
}

function describeFailure(error: unknown): RenderFailure {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === "string" ? { code } : {}) };
  }
  return { name: "Error", message: String(error) };
}

function isErrorCode(error: unknown, ...codes: string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && codes.includes(code);
}

async function readTextOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (isErrorCode(error, "ENOENT")) return "";
    throw error;
  }
}

async function readBytesOrUndefined(path: string): Promise<Uint8Array | undefined> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    if (isErrorCode(error, "ENOENT")) return undefined;
    throw error;
  }
}

async function sizeOrZero(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if (isErrorCode(error, "ENOENT")) return 0;
    throw error;
  }
}

const encoder = new TextEncoder();

function toBytes(chunk: string | Uint8Array): Uint8Array {
  if (typeof chunk === "string") return encoder.encode(chunk);
  if (chunk instanceof Uint8Array) return chunk;
  throw new TypeError(`a renderer produced a ${typeof chunk} chunk; outputs are strings, Uint8Arrays or streams of them`);
}

/** Writes `output` to a new file at `path`, fsyncs and closes it; returns the bytes written. */
async function writeDurably(path: string, output: RenderOutput): Promise<Uint8Array> {
  const handle = await open(path, "wx");
  const chunks: Uint8Array[] = [];
  try {
    const source: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array> =
      typeof output === "string" || output instanceof Uint8Array ? [output] : output;
    for await (const chunk of source) {
      const bytes = toBytes(chunk);
      let offset = 0;
      while (offset < bytes.byteLength) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
        offset += bytesWritten;
      }
      chunks.push(bytes);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (chunks.length === 1) return chunks[0]!;
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

/** Atomically replaces `<key>.json`: temp file, fsync, rename, fsync of the directory. */
async function writeStatusFile(dir: string, key: string, entry: Entry): Promise<void> {
  const temp = join(dir, `.tmp-${key}-${randomUUID()}`);
  try {
    await writeDurably(temp, entryCodec.encode(entry).text);
    await rename(temp, join(dir, `${key}.json`));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

/** Fsyncs a directory so renames in it survive a power cut. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
  } catch (error) {
    // Windows cannot open a directory for fsync; there the rename is as durable as the platform makes it.
    if (isErrorCode(error, "EISDIR", "EPERM", "EACCES")) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems do not support fsync on a directory; the rename itself has already happened.
    if (!isErrorCode(error, "EINVAL", "ENOTSUP", "EBADF")) throw error;
  } finally {
    await handle.close();
  }
}
