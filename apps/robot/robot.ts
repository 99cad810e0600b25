/**
 * `startRobot`: the whole robot app. It takes the data root's lock, starts the HTTP server at once (so
 * `/health` answers 503 with the progress while the data root is migrated), boots the data root, opens the run
 * store, and starts reports, capture and sync. `close()` shuts everything down in order: no new requests,
 * collectors stopped, capture files finished and renamed, sync stopped, renders stopped, database closed, lock
 * released.
 *
 * @module
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import { openRunStore, type RunStore } from "@deckhand/storage";
import { createRobotApp } from "./app.ts";
import { CaptureService } from "./capture_service.ts";
import { answerClientErrors } from "./client_errors.ts";
import type { RobotConfig } from "./config.ts";
import { bootDataRoot } from "./data_root_boot.ts";
import { lockDataRoot } from "./data_lock.ts";
import { EventHub } from "./event_hub.ts";
import { RobotMetrics } from "./metrics.ts";
import { ProtocolFiles } from "./protocol_files.ts";
import { ProtocolLibrary } from "./protocol_library.ts";
import { RobotState } from "./robot_state.ts";
import { RunControl } from "./run_control.ts";
import { RunReports } from "./run_reports.ts";
import type { StatusSource } from "./status_source.ts";
import { startSyncLink, type SyncLink } from "./sync_link.ts";

/** Free bytes below which capture deletes every 5th oldest finished file. */
const DISK_THRESHOLD_BYTES = 256 << 20;

/** Options of `startRobot` besides the settings. */
export interface StartRobotOptions {
  /** Mounts the status page. */
  readonly mountPages?: (app: Hono, source: StatusSource) => void;
  /** Test hook: make the data-root boot take this long (see `data_root_boot.ts`). */
  readonly testBootDelayMs?: number;
  /** Called if the boot fails after the server is up (the app then answers 503 until closed). */
  readonly onBootError?: (error: Error) => void;
}

/** A running robot app. */
export interface RunningRobot {
  /** `http://HOST:PORT` with the real port. */
  readonly url: string;
  readonly state: RobotState;
  /** Resolves once the data root is booted and the services are up (rejects if the boot failed). */
  readonly ready: Promise<void>;
  /** Shuts down in order; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the robot app.
 *
 * @example
 * ```ts
 * const robot = await startRobot(parseConfig(process.argv.slice(2), process.env));
 * console.log(`listening on ${robot.url}`);
 * process.once("SIGTERM", () => robot.close());
 * ```
 */
export async function startRobot(config: RobotConfig, options: StartRobotOptions = {}): Promise<RunningRobot> {
  const lock = await lockDataRoot(config.dataRoot);
  const hub = new EventHub();
  const state = new RobotState(config.dataRoot, hub, DISK_THRESHOLD_BYTES);
  const metrics = new RobotMetrics();
  const app = createRobotApp({
    state, metrics, token: config.token, maxBodyBytes: config.maxBodyBytes,
    ...(options.mountPages ? { mountPages: options.mountPages } : {}),
  });
  let server: Server;
  let address: AddressInfo;
  try {
    ({ server, address } = await new Promise<{ server: Server; address: AddressInfo }>((resolve, reject) => {
      // Slow clients (a trickled body, a head never finished) are answered 408 once requestTimeoutMs has passed,
      // checked every second instead of Node's default 30 s.
      const serverOptions = {
        requestTimeout: config.requestTimeoutMs,
        headersTimeout: Math.min(60_000, config.requestTimeoutMs),
        connectionsCheckingInterval: Math.min(1000, config.requestTimeoutMs),
      };
      const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port, serverOptions }, (info) => resolve({ server: s as Server, address: info }));
      (s as Server).once("error", reject);
      answerClientErrors(s as Server);
    }));
  } catch (error) {
    await lock.release();
    throw error;
  }
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  const bootAbort = new AbortController();
  let store: RunStore | undefined;
  let reports: RunReports | undefined;
  let capture: CaptureService | undefined;
  let sync: SyncLink | undefined;
  let runs: RunControl | undefined;
  const timers: ReturnType<typeof setInterval>[] = [];

  const ready = (async () => {
    const boot = await bootDataRoot({
      root: config.dataRoot,
      signal: bootAbort.signal,
      onProgress: (progress) => {
        state.migration = progress;
        hub.publish("migration", progress);
      },
      ...(options.testBootDelayMs ? { testDelayMs: options.testBootDelayMs } : {}),
    });
    store = await openRunStore({ url: `file:${join(boot.dir, "runs.db")}`, durability: config.durability });
    runs = new RunControl(store);
    const openedStore = store;
    const protocols = await ProtocolLibrary.open(store, new ProtocolFiles(join(config.dataRoot, "protocol-files")), boot.dir);
    reports = await RunReports.open({ store, dir: join(boot.dir, "renders"), debounceMs: config.reportDebounceMs });
    capture = await CaptureService.start({
      dir: join(config.dataRoot, "capture"),
      collectors: config.collectors,
      rateHz: config.captureRateHz,
      fileAgeMs: config.captureFileAgeMs,
      flushMs: config.captureFlushMs,
      serialPort: config.serialPort,
      serialBaudRate: config.serialBaudRate,
      minFreeBytes: DISK_THRESHOLD_BYTES,
      hub,
      onCaptureEvent: (event) => {
        if (event.type === "error" || event.type === "deleted" || event.type === "paused") console.error(`robot: capture ${event.type}`, event);
      },
    });
    sync = await startSyncLink({ captureDir: capture.dir, failedDir: join(config.dataRoot, "sync-failed"), target: config.syncTarget });
    openedStore.subscribe((change) => {
      metrics.observeStoreWrite(change.entity, change.kind);
      if (change.entity !== "run" || hub.size === 0) return;
      const kind = change.kind === "created" ? "created" : change.kind === "commands" ? "commands" : change.kind === "deleted" ? "deleted" : "updated";
      if (kind === "deleted") {
        hub.publish("run", { runId: change.id, kind, seq: change.seq });
        return;
      }
      openedStore.getRun(change.id).then(
        (run) => hub.publish("run", { runId: change.id, kind, status: run.status, commandCount: run.commandCount, seq: change.seq }),
        (error: unknown) => {
          // Deleted since: the deleted event follows.
          if ((error as { code?: unknown }).code !== "STORE_RUN_NOT_FOUND") console.error("robot: run event failed", error);
        },
      );
    });
    const services = { store, runs, protocols, reports, capture, sync, boot };
    state.services = services;
    metrics.attach({ collectors: () => services.capture.collectors(), sync: () => services.sync.status(), system: () => state.system(), damagedCaptureFiles: () => services.capture.boot.damaged.length });
    let lastSync = "";
    timers.push(setInterval(() => {
      services.sync.status().then((status) => {
        const text = JSON.stringify(status);
        if (text !== lastSync) hub.publish("sync", status);
        lastSync = text;
      }, (error: unknown) => console.error("robot: sync status failed", error));
    }, 1000));
    timers.push(setInterval(() => {
      state.system().then((system) => hub.publish("system", system), (error: unknown) => console.error("robot: system figures failed", error));
    }, 5000));
    for (const timer of timers) timer.unref();
    if (state.phase === "migrating") state.phase = "ready";
    hub.publish("system", await state.system());
  })();
  ready.catch((error: Error) => {
    if (state.phase === "stopping") return;
    state.phase = "failed";
    state.failure = error;
    options.onBootError?.(error);
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      state.phase = "stopping";
      state.shutdown.abort();
      bootAbort.abort();
      for (const timer of timers) clearInterval(timer);
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await ready.catch(() => undefined);
      await capture?.close();
      await sync?.stop();
      await reports?.close();
      await runs?.drain();
      // Requests still running get a moment to finish before their connections are cut.
      const cut = setTimeout(() => server.closeAllConnections(), 2000);
      await serverClosed;
      clearTimeout(cut);
      await store?.close();
      await lock.release();
    })();
    return closing;
  };
  return { url, state, ready, close };
}
