/**
 * Prometheus metrics (`prom-client`, a registry of the app's own): HTTP requests and latencies by route, store
 * writes, capture rates and missed ticks, the sync queue and bytes uploaded, disk free. Gauges are read from
 * the live services at scrape time.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CollectorRow, SystemRow } from "./event_hub.ts";
import type { SyncStatus } from "./sync_link.ts";

/** What the metrics read at scrape time. */
export interface MetricsSources {
  collectors(): CollectorRow[];
  sync(): Promise<SyncStatus | undefined>;
  system(): Promise<SystemRow>;
  /** Finished capture files found damaged at start and set aside. */
  damagedCaptureFiles(): number;
}

/** The app's metrics. */
export class RobotMetrics {
  readonly registry: Registry = new Registry();
  readonly #requests: Counter<"method" | "route" | "status">;
  readonly #latency: Histogram<"method" | "route">;
  readonly #storeWrites: Counter<"entity" | "kind">;
  #sources: MetricsSources | undefined;

  constructor() {
    const registers = [this.registry];
    this.#requests = new Counter({ name: "deckhand_http_requests_total", help: "HTTP requests by route and status", labelNames: ["method", "route", "status"], registers });
    this.#latency = new Histogram({
      name: "deckhand_http_request_duration_seconds", help: "HTTP request latency by route", labelNames: ["method", "route"], registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    this.#storeWrites = new Counter({ name: "deckhand_store_writes_total", help: "Committed run store writes (change feed entries)", labelNames: ["entity", "kind"], registers });
    const self = this;
    const collectorGauge = (name: string, help: string, pick: (row: CollectorRow) => number): void => {
      new Gauge({
        name, help, labelNames: ["collector"], registers,
        collect() {
          this.reset();
          for (const row of self.#sources?.collectors() ?? []) this.set({ collector: row.name }, pick(row));
        },
      });
    };
    collectorGauge("deckhand_capture_effective_rate_hz", "Samples per second each collector achieves", (r) => r.effectiveHz);
    collectorGauge("deckhand_capture_target_rate_hz", "Samples per second each collector aims at", (r) => r.targetHz);
    collectorGauge("deckhand_capture_samples_total", "Samples captured by each collector since it started", (r) => r.captured);
    collectorGauge("deckhand_capture_missed_ticks_total", "Ticks each collector missed since it started", (r) => r.missedTicks);
    collectorGauge("deckhand_capture_errors_total", "Read or write errors of each collector since it started", (r) => r.errors);
    const syncGauge = (name: string, help: string, pick: (s: SyncStatus) => number): void => {
      new Gauge({
        name, help, registers,
        async collect() {
          const status = await self.#sources?.sync();
          if (status) this.set(pick(status));
        },
      });
    };
    syncGauge("deckhand_sync_queued_files", "Finished capture files waiting to be uploaded", (s) => s.queued);
    syncGauge("deckhand_sync_uploaded_bytes_total", "Bytes uploaded by the sync service", (s) => s.uploadedBytes);
    syncGauge("deckhand_sync_uploaded_files_total", "Files uploaded by the sync service", (s) => s.uploadedFiles);
    syncGauge("deckhand_sync_failed_files", "Files the sync service gave up on", (s) => s.failed);
    new Gauge({
      name: "deckhand_capture_damaged_files", help: "Finished capture files found damaged at start and set aside in corrupt/ (not synced)", registers,
      collect() {
        const sources = self.#sources;
        if (sources) this.set(sources.damagedCaptureFiles());
      },
    });
    new Gauge({
      name: "deckhand_disk_free_bytes", help: "Free bytes on the data root's file system", registers,
      async collect() {
        const system = await self.#sources?.system();
        if (system) this.set(system.diskFreeBytes);
      },
    });
    new Gauge({
      name: "deckhand_db_bytes", help: "Size of the run store's files", registers,
      async collect() {
        const system = await self.#sources?.system();
        if (system) this.set(system.dbBytes);
      },
    });
  }

  /** Connects the live services once they are up. */
  attach(sources: MetricsSources): void {
    this.#sources = sources;
  }

  /** Counts one answered request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.#requests.inc({ method, route, status: String(status) });
    this.#latency.observe({ method, route }, seconds);
  }

  /** Counts one committed store write. */
  observeStoreWrite(entity: string, kind: string): void {
    this.#storeWrites.inc({ entity, kind });
  }
}
