/**
 * `startSyncService`: the `@deckhand/sync` engine in a `worker_threads` worker, driven over comlink, so uploads and
 * hashing never stall the robot app's event loop. If the worker dies, the host restarts it with backoff and the new
 * engine resumes every file (content addressing and resume offsets make sure nothing is lost or stored twice).
 */
import { Worker } from "node:worker_threads";
import { releaseProxy, type Remote, wrap } from "comlink";
import type { SyncStatus } from "@deckhand/sync";
import { nodeEndpoint } from "./comlink_endpoint.ts";
import type { SyncServiceConfig } from "./sync_service_config.ts";
import type { SyncWorkerApi } from "./sync_worker.ts";

/** The running service. Every call is answered or rejected: none hangs on a dead worker. */
export interface SyncService {
  /** The engine's status (the last one known, with `online: false`, while the worker restarts). */
  status(): Promise<SyncStatus>;
  /** Scans now; resolves once every file found has had an upload attempt. */
  syncNow(): Promise<void>;
  /** Applies a new configuration (in-flight uploads are aborted and resumed, no file is lost). */
  reconfigure(config: SyncServiceConfig): Promise<void>;
  /** Stops the engine and the worker. */
  stop(): Promise<void>;
  /** How many times the worker died and was restarted. */
  readonly restarts: number;
  /** Kills the worker as a crash would (fault drills and tests); the service restarts it. */
  crashWorker(): Promise<void>;
}

/** Errors of the service itself (the engine's errors keep their `SYNC_` codes). */
export class SyncServiceError extends Error {
  /** `SYNC_SERVICE_WORKER_EXITED`, `SYNC_SERVICE_TIMEOUT` or `SYNC_SERVICE_STOPPED`. */
  readonly code: string;
  override readonly name: string = "SyncServiceError";

  /** Creates the error with its code. */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Tuning of the host side (defaults suit the robot). */
export interface SyncServiceOptions {
  /** Deadline of status/start/reconfigure/stop calls, in ms. Default 30,000. */
  readonly callTimeoutMs?: number;
  /** Deadline of a syncNow call, in ms. Default 600,000. */
  readonly syncNowTimeoutMs?: number;
  /** Restart backoff: the n-th restart waits random(0, min(maxMs, initialMs * 2^n)). Defaults 200 and 30,000. */
  readonly restartBackoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Receives worker exits and restarts (for logs). */
  readonly onWorkerEvent?: (event: { type: "exit"; code: number } | { type: "restarted"; restarts: number }) => void;
}

interface Running {
  readonly worker: Worker;
  readonly api: Remote<SyncWorkerApi>;
  readonly exited: Promise<number>;
}

const idleStatus: SyncStatus = {
  online: false, queued: 0, uploading: 0, uploadedFiles: 0, uploadedBytes: 0, retries: 0, failed: 0,
  lastError: null, bytesPerSecond: 0, failedFiles: [],
};

/**
 * Starts the engine in a worker thread and resolves once it runs.
 *
 * @example
 * ```ts
 * const sync = await startSyncService({ captureDir: "/data/capture", target: { kind: "http", url, token } });
 * console.log(await sync.status());
 * await sync.stop();
 * ```
 */
export async function startSyncService(config: SyncServiceConfig, options: SyncServiceOptions = {}): Promise<SyncService> {
  const callTimeoutMs = options.callTimeoutMs ?? 30_000;
  const syncNowTimeoutMs = options.syncNowTimeoutMs ?? 600_000;
  const initialMs = options.restartBackoff?.initialMs ?? 200;
  const maxMs = options.restartBackoff?.maxMs ?? 30_000;
  let current = config;
  let running: Running | undefined;
  let stopped = false;
  let restarts = 0;
  let failuresInARow = 0;
  let lastStatus: SyncStatus = idleStatus;
  let restarting: Promise<void> | undefined;

  /** Races a worker call against the worker's exit and a deadline: a call pending at exit would never settle. */
  async function call<T>(what: string, timeoutMs: number, run: (api: Remote<SyncWorkerApi>) => Promise<T>): Promise<T> {
    if (stopped) throw new SyncServiceError("SYNC_SERVICE_STOPPED", `${what}: the sync service is stopped`);
    if (!running) await restarting;
    const target = running;
    if (!target) throw new SyncServiceError("SYNC_SERVICE_WORKER_EXITED", `${what}: the sync worker is not running`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        run(target.api),
        target.exited.then((code) => {
          throw new SyncServiceError("SYNC_SERVICE_WORKER_EXITED", `${what}: the sync worker exited (code ${code})`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new SyncServiceError("SYNC_SERVICE_TIMEOUT", `${what}: no answer from the sync worker in ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function launch(): Promise<void> {
    const worker = new Worker(new URL("./worker_bootstrap.mjs", import.meta.url), {
      workerData: { entry: new URL("./sync_worker.ts", import.meta.url).href },
    });
    const exited = new Promise<number>((resolve) => worker.once("exit", resolve));
    worker.on("error", (error) => console.error("[sync-service] worker error:", error));
    const api = wrap<SyncWorkerApi>(nodeEndpoint(worker));
    running = { worker, api, exited };
    void exited.then((code) => onExit(worker, code));
    await call("start", callTimeoutMs, (remote) => remote.start(current));
    failuresInARow = 0;
  }

  function onExit(worker: Worker, code: number): void {
    if (running?.worker === worker) running = undefined;
    if (stopped) return;
    options.onWorkerEvent?.({ type: "exit", code });
    lastStatus = { ...lastStatus, online: false, lastError: { code: "SYNC_SERVICE_WORKER_EXITED", message: `the sync worker exited (code ${code})`, at: new Date().toISOString() } };
    restarting ??= (async () => {
      try {
        while (!stopped && !running) {
          const delay = Math.random() * Math.min(maxMs, initialMs * 2 ** Math.min(failuresInARow, 30));
          failuresInARow++;
          await new Promise((resolve) => setTimeout(resolve, delay));
          if (stopped) return;
          restarts++;
          try {
            await launch();
            options.onWorkerEvent?.({ type: "restarted", restarts });
          } catch (error) {
            console.error("[sync-service] restarting the worker failed:", error);
            const failed = running as Running | undefined;
            running = undefined;
            await failed?.worker.terminate();
          }
        }
      } finally {
        restarting = undefined;
      }
    })();
  }

  try {
    await launch();
  } catch (error) {
    stopped = true;
    await running?.worker.terminate();
    throw error;
  }

  return {
    get restarts() {
      return restarts;
    },
    async status() {
      if (!running && !stopped) return lastStatus;
      lastStatus = await call("status", callTimeoutMs, (api) => api.status());
      return lastStatus;
    },
    syncNow: () => call("syncNow", syncNowTimeoutMs, (api) => api.syncNow()),
    async reconfigure(next) {
      await call("reconfigure", callTimeoutMs, (api) => api.reconfigure(next));
      current = next;
    },
    async crashWorker() {
      const target = running;
      if (!target) return;
      void target.api.crash();
      await target.exited;
    },
    async stop() {
      if (stopped) return;
      const target = running;
      try {
        if (target) await call("stop", callTimeoutMs, (api) => api.stop());
      } finally {
        stopped = true;
        if (target) {
          target.api[releaseProxy]();
          await target.worker.terminate();
        }
        await restarting;
      }
    },
  };
}
