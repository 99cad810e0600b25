/**
 * The sync engine: scans the capture directory (and any additional paths) on an interval, hands each finished file
 * to a bounded pool of upload workers, retries transient failures with backoff and full jitter, moves terminal
 * failures to `failed/` with a JSON note, goes offline (and probes back online) when the target is unreachable,
 * and deletes a local file only once the target has confirmed its SHA-256 and size.
 *
 * @module
 */
import console from "node:console";
import { setMaxListeners } from "node:events";
import { copyFile, mkdir, readdir, rename, stat, unlink, writeFile } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { bandwidthLimit, type BandwidthLimit, sleep } from "./bandwidth_limit.ts";
import { isTransient, SyncClosedError, SyncError, TargetUnavailableError } from "./errors.ts";
import type { FailedFile, SyncEvent, SyncStatus } from "./sync_event.ts";
import { resolveSyncOptions, type ResolvedSyncOptions, type SyncEngineOptions } from "./sync_options.ts";
import { uploadFile } from "./upload_file.ts";

/** A running sync engine. */
export interface SyncEngine {
  /** The engine's state as plain data. */
  status(): SyncStatus;
  /** Scans now; resolves once every file found has had an upload attempt, or at once while the target is offline. */
  syncNow(): Promise<void>;
  /** Applies new options (merged over the current ones): aborts in-flight uploads, keeps every file, restarts. */
  reconfigure(options: Partial<SyncEngineOptions>): Promise<void>;
  /** Aborts in-flight uploads promptly and stops; local files not confirmed by the target stay where they are. */
  close(): Promise<void>;
}

interface Entry {
  readonly path: string;
  readonly name: string;
  waiters: (() => void)[];
  /** Failed attempts so far (the backoff's exponent). */
  attempt: number;
  /** After a transient failure: not tried again before this `performance.now()` time. */
  notBefore: number;
}

interface Run {
  readonly controller: AbortController;
  readonly limit: BandwidthLimit;
  done: Promise<void>;
}

function errorCode(error: unknown): string {
  if (error instanceof SyncError) return error.code;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : "SYNC_ERROR";
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

/**
 * Creates and starts a sync engine.
 *
 * Guarantees: only finished files are uploaded (`*.mcap` in the capture directory, never `*.mcap.part`; files
 * under `additionalPaths` once unmodified for `fileQuietMs`); a file queued or uploading is never queued again;
 * every upload carries the file's SHA-256 and size; the local file is deleted only after the target confirms an
 * object with that hash and size; an interrupted upload resumes from what the target holds.
 *
 * @example
 * ```ts
 * const engine = createSyncEngine({
 *   captureDir: "/var/lib/deckhand/capture",
 *   target: httpTarget({ url: "http://workstation:8787", token }),
 *   onEvent: (event) => console.log(event),
 * });
 * console.log(engine.status().uploadedFiles);
 * await engine.close();
 * ```
 */
export function createSyncEngine(options: SyncEngineOptions): SyncEngine {
  let config: ResolvedSyncOptions = resolveSyncOptions(options);
  const external = options.signal;
  let closed = false;
  let online = true;
  let onlineWaiters: (() => void)[] = [];
  let probing = false;
  const offlineWaiters = new Set<() => void>();
  const inFlight = new Map<string, Entry>();
  const pending: Entry[] = [];
  let pendingWaiters: (() => void)[] = [];
  let wake: (() => void) | undefined;
  let scanWaiters: (() => void)[] = [];
  let uploading = 0;
  const stats = { uploadedFiles: 0, uploadedBytes: 0, retries: 0, failed: 0 };
  let lastError: SyncStatus["lastError"] = null;
  const failedFiles: FailedFile[] = [];
  const rate: { t: number; bytes: number }[] = [];
  let run: Run | undefined;

  function emit(event: SyncEvent): void {
    if (!config.onEvent) return;
    try {
      config.onEvent(event);
    } catch (error) {
      console.error("@deckhand/sync: onEvent listener threw", error);
    }
  }

  function recordError(error: unknown): void {
    lastError = { code: errorCode(error), message: errorMessage(error), at: new Date().toISOString() };
  }

  function countBytes(bytes: number): void {
    const t = Math.floor(performance.now() / 250);
    const last = rate[rate.length - 1];
    if (last && last.t === t) last.bytes += bytes;
    else rate.push({ t, bytes });
    while (rate.length > 0 && rate[0]!.t < t - 20) rate.shift();
  }

  function bytesPerSecond(): number {
    const t = Math.floor(performance.now() / 250);
    return rate.filter((r) => r.t > t - 20).reduce((sum, r) => sum + r.bytes, 0) / 5;
  }

  function backoffDelay(attempt: number): number {
    const { initialMs, maxMs, multiplier } = config.backoff;
    return config.random() * Math.min(maxMs, initialMs * multiplier ** Math.min(attempt, 64));
  }

  function setOnline(): void {
    if (online) return;
    online = true;
    for (const resolve of onlineWaiters.splice(0)) resolve();
    emit({ type: "online" });
  }

  function setOffline(error: unknown, current: Run): void {
    if (online) {
      online = false;
      for (const resolve of offlineWaiters) resolve();
      offlineWaiters.clear();
      emit({ type: "offline", code: errorCode(error), message: errorMessage(error) });
    }
    if (!probing) void probeLoop(current);
  }

  async function probeLoop(current: Run): Promise<void> {
    probing = true;
    const signal = current.controller.signal;
    try {
      for (let attempt = 0; !online && !signal.aborted; attempt++) {
        await sleep(backoffDelay(attempt), signal);
        try {
          await config.target.probe(signal);
          setOnline();
        } catch (error) {
          if (signal.aborted) break;
          recordError(error);
        }
      }
    } catch (error) {
      if (!signal.aborted) recordError(error);
    } finally {
      probing = false;
    }
  }

  function waitOnline(signal: AbortSignal): Promise<void> {
    if (online) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      onlineWaiters.push(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  function settleAttempt(entry: Entry): void {
    for (const resolve of entry.waiters.splice(0)) resolve();
  }

  async function moveToFailed(entry: Entry, error: unknown): Promise<void> {
    await mkdir(config.failedDir, { recursive: true });
    // Files from additional paths have nested names: flatten them, failed/ is one directory.
    const flat = entry.name.replace(/[\\/]/g, "__");
    let name = flat;
    const taken = async (n: string) => stat(join(config.failedDir, n)).then(() => true, (e: unknown) => {
      if (isMissing(e)) return false;
      throw e;
    });
    for (let i = 1; await taken(name) || (await taken(`${name}.json`)); i++) name = `${flat}.${i}`;
    const reason = errorMessage(error);
    const note = {
      name: entry.name,
      path: entry.path,
      code: errorCode(error),
      reason,
      failedAt: new Date().toISOString(),
    };
    const notePath = join(config.failedDir, `${name}.json`);
    await writeFile(`${notePath}.tmp`, `${JSON.stringify(note, null, 2)}\n`);
    await rename(`${notePath}.tmp`, notePath);
    try {
      await rename(entry.path, join(config.failedDir, name));
    } catch (renameError) {
      if ((renameError as NodeJS.ErrnoException).code !== "EXDEV") throw renameError;
      await copyFile(entry.path, join(config.failedDir, name));
      await unlink(entry.path);
    }
    stats.failed++;
    failedFiles.push({ name, reason });
    if (failedFiles.length > 100) failedFiles.shift();
    emit({ type: "failed", name, code: note.code, reason });
  }

  /**
   * One attempt at a file. After a transient failure it answers "retry" with the file's next time set (backoff
   * with full jitter): the worker puts the file back at the end of the queue and goes on with the next one, so a
   * file that keeps failing never holds a worker while other files wait.
   */
  async function processFile(entry: Entry, current: Run): Promise<"done" | "retry"> {
    const signal = current.controller.signal;
    try {
      if (!online) {
        // Waiting for the target counts as this attempt's end, so syncNow() does not hang while offline.
        settleAttempt(entry);
        await waitOnline(signal);
      }
      const started = performance.now();
      const outcome = await uploadFile({
        path: entry.path,
        relativePath: entry.path,
        target: config.target,
        limit: current.limit,
        signal,
        onBytes: countBytes,
      });
      stats.uploadedFiles++;
      stats.uploadedBytes += outcome.size;
      setOnline();
      emit({ type: "uploaded", name: entry.name, ...outcome, ms: performance.now() - started });
      return "done";
    } catch (error) {
      // An abort: the file stays for the next run (stop() forgets the queue).
      if (signal.aborted) return "done";
      if (isMissing(error)) {
        emit({ type: "vanished", name: entry.name });
        return "done";
      }
      recordError(error);
      if (!isTransient(error)) {
        try {
          await moveToFailed(entry, error);
        } catch (moveError) {
          recordError(moveError);
        }
        return "done";
      }
      stats.retries++;
      if (error instanceof TargetUnavailableError && error.unreachable) setOffline(error, current);
      const delayMs = backoffDelay(entry.attempt);
      entry.attempt++;
      entry.notBefore = performance.now() + delayMs;
      emit({ type: "retry", name: entry.name, attempt: entry.attempt, delayMs, code: errorCode(error), message: errorMessage(error) });
      return "retry";
    }
  }

  /** The first queued file whose time has come (a file waiting out its backoff is passed over), if any. */
  function takeReady(): Entry | undefined {
    const now = performance.now();
    const index = pending.findIndex((entry) => entry.notBefore <= now);
    return index < 0 ? undefined : pending.splice(index, 1)[0];
  }

  /** The next file to try: waits for one to be queued or for a queued file's backoff to end; undefined on abort. */
  async function nextEntry(signal: AbortSignal): Promise<Entry | undefined> {
    for (;;) {
      if (signal.aborted) return undefined;
      const ready = takeReady();
      if (ready) return ready;
      let earliest = Infinity;
      for (const entry of pending) earliest = Math.min(earliest, entry.notBefore);
      await new Promise<void>((resolve) => {
        const timer = earliest === Infinity ? undefined : setTimeout(done, Math.max(0, earliest - performance.now()));
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          const index = pendingWaiters.indexOf(done);
          if (index >= 0) pendingWaiters.splice(index, 1);
          resolve();
        }
        signal.addEventListener("abort", done, { once: true });
        pendingWaiters.push(done);
      });
    }
  }

  async function worker(current: Run): Promise<void> {
    const signal = current.controller.signal;
    while (!signal.aborted) {
      const entry = await nextEntry(signal);
      if (!entry) continue;
      uploading++;
      let outcome: "done" | "retry" = "done";
      try {
        outcome = await processFile(entry, current);
      } finally {
        uploading--;
        if (outcome === "retry" && !signal.aborted) {
          // Still queued (so no scan queues it twice), after the others.
          pending.push(entry);
          pendingWaiters.shift()?.();
        } else {
          inFlight.delete(entry.path);
        }
        settleAttempt(entry);
      }
    }
  }

  async function listDir(dir: string): Promise<import("node:fs").Dirent[]> {
    try {
      return await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  async function walk(root: string, dir: string, out: { path: string; name: string }[], now: number): Promise<void> {
    for (const entry of await listDir(dir)) {
      const path = join(dir, entry.name);
      if (path === config.failedDir) continue;
      if (entry.isDirectory()) await walk(root, path, out, now);
      else if (entry.isFile()) {
        const info = await stat(path).catch((e: unknown) => {
          if (isMissing(e)) return undefined;
          throw e;
        });
        if (info && now - info.mtimeMs >= config.fileQuietMs) out.push({ path, name: relative(root, path) });
      }
    }
  }

  async function scan(): Promise<void> {
    const found: { path: string; name: string }[] = [];
    try {
      for (const entry of await listDir(config.captureDir)) {
        // capture's naming contract: `*.mcap` is finished and final; `*.mcap.part` may still grow.
        if (entry.isFile() && entry.name.endsWith(".mcap")) found.push({ path: join(config.captureDir, entry.name), name: entry.name });
      }
    } catch (error) {
      recordError(error);
      emit({ type: "scan-error", path: config.captureDir, message: errorMessage(error) });
    }
    for (const root of config.additionalPaths) {
      try {
        const files: { path: string; name: string }[] = [];
        await walk(root, root, files, Date.now());
        found.push(...files.map((f) => ({ path: f.path, name: join(basename(root), f.name) })));
      } catch (error) {
        recordError(error);
        emit({ type: "scan-error", path: root, message: errorMessage(error) });
      }
    }
    found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const file of found) {
      if (inFlight.has(file.path)) continue;
      const entry: Entry = { path: file.path, name: file.name, waiters: [], attempt: 0, notBefore: 0 };
      inFlight.set(file.path, entry);
      pending.push(entry);
    }
    for (const resolve of pendingWaiters.splice(0, pending.length)) resolve();
  }

  async function scanLoop(current: Run): Promise<void> {
    const signal = current.controller.signal;
    while (!signal.aborted) {
      // Only a scan that starts after syncNow() was called answers it (an earlier one may have missed new files).
      const answered = scanWaiters.splice(0);
      await scan();
      for (const resolve of answered) resolve();
      if (scanWaiters.length > 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, config.scanIntervalMs);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          wake = undefined;
          resolve();
        }
        wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  function start(): void {
    const controller = new AbortController();
    // Every upload in flight (and the scan) listens on this signal, a few listeners each: with more than a handful
    // of workers Node would warn of a leak that is not one. Listeners are removed as each upload ends.
    setMaxListeners(8 + 4 * config.concurrency, controller.signal);
    const current: Run = { controller, limit: bandwidthLimit(config.bandwidthBytesPerSec), done: Promise.resolve() };
    const workers = Array.from({ length: config.concurrency }, () => worker(current));
    current.done = Promise.all([scanLoop(current), ...workers]).then(() => undefined);
    run = current;
  }

  async function stop(): Promise<void> {
    const current = run;
    if (!current) return;
    run = undefined;
    current.controller.abort(new SyncClosedError("the sync engine stopped"));
    for (const resolve of pendingWaiters.splice(0)) resolve();
    await current.done;
    // Files not uploaded stay on disk; forget them so the next run's scan queues them again.
    for (const entry of inFlight.values()) settleAttempt(entry);
    inFlight.clear();
    pending.length = 0;
    for (const resolve of scanWaiters.splice(0)) resolve();
    online = true;
    onlineWaiters = [];
  }

  const engine: SyncEngine = {
    status() {
      return {
        online,
        queued: pending.length,
        uploading,
        ...stats,
        lastError,
        bytesPerSecond: bytesPerSecond(),
        failedFiles: [...failedFiles],
      };
    },
    async syncNow() {
      if (closed) throw new SyncClosedError("syncNow() after close()");
      await new Promise<void>((resolve) => {
        scanWaiters.push(resolve);
        wake?.();
      });
      // While the target is unreachable nothing more can happen until it is back: answer now rather than hang.
      if (!online) return;
      let offline!: () => void;
      const wentOffline = new Promise<void>((resolve) => (offline = resolve));
      offlineWaiters.add(offline);
      try {
        await Promise.race([
          Promise.all([...inFlight.values()].map((entry) => new Promise<void>((resolve) => entry.waiters.push(resolve)))),
          wentOffline,
        ]);
      } finally {
        offlineWaiters.delete(offline);
      }
    },
    async reconfigure(changes) {
      if (closed) throw new SyncClosedError("reconfigure() after close()");
      const next = resolveSyncOptions({ ...config, ...changes } as SyncEngineOptions);
      await stop();
      config = next;
      if (!closed) start();
    },
    async close() {
      closed = true;
      await stop();
    },
  };
  if (external?.aborted) closed = true;
  else {
    external?.addEventListener("abort", () => void engine.close(), { once: true });
    start();
  }
  return engine;
}
