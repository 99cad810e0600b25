/**
 * Capture on the robot: one `@deckhand/capture` writer over `<root>/capture` (recovered at start), and one
 * collector per configured name reading a temperature module over serial (the simulated one behind a mock
 * binding by default, the real device through `@serialport/bindings-cpp` for the first collector when a serial
 * port is set). Collectors can be stopped and started; samples are also handed to the event hub in batches.
 *
 * @module
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  type CaptureEvent,
  type CaptureWriter,
  type Collector,
  createCaptureWriter,
  createCollector,
  createSerialSource,
  parseCaptureFileName,
  parseTemperatureResponse,
  recoverCaptureDir,
  type RecoveredFile,
  type SerialBinding,
  type SerialSource,
  type TemperatureReading,
  verifyCaptureDir,
} from "@deckhand/capture";
import { CollectorNotFoundError } from "./errors.ts";
import type { CollectorRow, EventHub } from "./event_hub.ts";
import { simulatedTemperatureBinding } from "./simulated_serial_device.ts";

/** Options of `startCapture`. */
export interface CaptureServiceOptions {
  readonly dir: string;
  readonly collectors: readonly string[];
  readonly rateHz: number;
  readonly fileAgeMs: number;
  readonly flushMs: number;
  readonly serialPort: string | undefined;
  readonly serialBaudRate: number;
  /** Below this many free bytes the writer deletes every 5th oldest finished file. */
  readonly minFreeBytes: number;
  readonly hub: EventHub;
  readonly onCaptureEvent?: (event: CaptureEvent) => void;
}

/** A finished capture file found damaged at start and set aside (never synced). */
export interface DamagedCaptureFile {
  readonly file: string;
  readonly reason: string;
  /** Where it went, relative to the capture directory (`corrupt/<file>`, beside a `.json` note). */
  readonly movedTo: string | null;
}

/** What the start-up checks of the capture directory found. */
export interface CaptureBootReport {
  /** Leftover `.part` files recovered, emptied or failed (`recoverCaptureDir`'s per-file status). */
  readonly recovered: readonly RecoveredFile[];
  /** Finished files read whole, every CRC matching. */
  readonly verifiedFiles: number;
  /** Finished files that did not verify, moved to `corrupt/`. */
  readonly damaged: readonly DamagedCaptureFile[];
}

/**
 * The start-up checks: recover leftover `.part` files, then verify every finished `.mcap` (both `@mcap/core`
 * readers, every CRC) and move each damaged one to `corrupt/` so the sync service never uploads it. Each damaged
 * or unrecoverable file is logged; the report goes to `/health`, `/capture/files` and `/metrics`.
 */
export async function checkCaptureDir(dir: string, log: (line: string) => void = (line) => console.error(line)): Promise<CaptureBootReport> {
  const recovered = await recoverCaptureDir(dir);
  for (const r of recovered) {
    if (r.status === "failed") log(`robot: capture file ${r.file} could not be recovered and is left in place: ${r.error?.message ?? "unknown error"}`);
  }
  const verified = await verifyCaptureDir(dir, { quarantine: true });
  const damaged: DamagedCaptureFile[] = [];
  for (const v of verified) {
    if (v.ok) continue;
    damaged.push({ file: v.file, reason: v.reason ?? "unknown", movedTo: v.movedTo ?? null });
    log(`robot: capture file ${v.file} is damaged (${v.reason ?? "unknown"}); set aside in ${v.movedTo ?? "place"}, not synced`);
  }
  return { recovered, verifiedFiles: verified.length - damaged.length, damaged };
}

/** One capture file. */
export interface CaptureFileRow {
  readonly name: string;
  readonly bytes: number;
  /** False while it is being written (`.mcap.part`). */
  readonly finished: boolean;
  readonly collector: string | null;
  readonly sequence: number | null;
}

interface CollectorSlot {
  readonly name: string;
  readonly source: SerialSource<TemperatureReading>;
  readonly kind: "simulated" | "serial";
  collector: Collector | undefined;
  controller: AbortController | undefined;
}

/**
 * The temperature source of one collector: `M105` over serial through `binding`. The collector hands every read
 * its own long-lived signal directly: capture's serial source removes its abort listener after each read (issue
 * 13), so no per-read signal is needed (`capture_listeners.test.ts` keeps the count flat).
 */
export function createTemperatureSource(path: string, baudRate: number, binding: SerialBinding): SerialSource<TemperatureReading> {
  return createSerialSource({ path, baudRate, binding, request: "M105\n", parse: parseTemperatureResponse });
}

/** The running capture. */
export class CaptureService {
  readonly dir: string;
  /** What the start-up checks found. */
  readonly boot: CaptureBootReport;
  readonly #writer: CaptureWriter;
  readonly #slots: Map<string, CollectorSlot>;
  readonly #rateHz: number;
  readonly #hub: EventHub;
  readonly #pending = new Map<string, { t: number; values: Record<string, number> }[]>();
  readonly #timer: ReturnType<typeof setInterval>;
  #totalCaptured = 0;

  private constructor(options: CaptureServiceOptions, writer: CaptureWriter, slots: Map<string, CollectorSlot>, boot: CaptureBootReport) {
    this.dir = options.dir;
    this.#writer = writer;
    this.#slots = slots;
    this.#rateHz = options.rateHz;
    this.#hub = options.hub;
    this.boot = boot;
    this.#timer = setInterval(() => this.#publish(), 1000);
    this.#timer.unref();
  }

  /** Recovers leftover `.part` files, verifies finished ones, opens the writer and starts every collector. */
  static async start(options: CaptureServiceOptions): Promise<CaptureService> {
    const boot = await checkCaptureDir(options.dir);
    const writer = createCaptureWriter({
      dir: options.dir,
      maxFileAgeMs: options.fileAgeMs,
      flushIntervalMs: options.flushMs,
      disk: { minFreeBytes: options.minFreeBytes, policy: { deleteEveryNth: 5 } },
      ...(options.onCaptureEvent ? { onEvent: options.onCaptureEvent } : {}),
    });
    const slots = new Map<string, CollectorSlot>();
    let seed = 1;
    let real: SerialBinding | undefined;
    if (options.serialPort !== undefined) {
      const { autoDetect } = await import("@serialport/bindings-cpp");
      real = autoDetect() as SerialBinding;
    }
    for (const name of options.collectors) {
      const useReal = real !== undefined && slots.size === 0;
      const path = useReal ? options.serialPort! : `/dev/deckhand-sim/${name}`;
      const binding = useReal ? real! : simulatedTemperatureBinding(path, seed++);
      const source = createTemperatureSource(path, options.serialBaudRate, binding);
      slots.set(name, { name, source, kind: useReal ? "serial" : "simulated", collector: undefined, controller: undefined });
    }
    const service = new CaptureService(options, writer, slots, boot);
    for (const name of slots.keys()) service.startCollector(name);
    return service;
  }

  #slot(name: string): CollectorSlot {
    const slot = this.#slots.get(name);
    if (!slot) throw new CollectorNotFoundError(`no collector named ${name}`);
    return slot;
  }

  /** Starts a stopped collector (no-op when running). */
  startCollector(name: string): void {
    const slot = this.#slot(name);
    if (slot.controller && !slot.controller.signal.aborted) return;
    const controller = new AbortController();
    const batch: { t: number; values: Record<string, number> }[] = [];
    this.#pending.set(name, batch);
    const writer = this.#writer;
    const service = this;
    slot.controller = controller;
    slot.collector = createCollector({
      name, method: "M105", source: slot.source, rateHz: this.#rateHz, signal: controller.signal,
      writer: {
        async write(collector, method, sample, logTimeMs) {
          await writer.write(collector, method, sample, logTimeMs);
          service.#totalCaptured++;
          const reading = sample as TemperatureReading;
          const values: Record<string, number> = { currentC: reading.currentC };
          if (reading.targetC !== null) values["targetC"] = reading.targetC;
          const pending = service.#pending.get(name);
          if (pending && pending.length < 1000) pending.push({ t: logTimeMs ?? Date.now(), values });
        },
      },
    });
  }

  /** Stops a collector and waits for its loop to end. */
  async stopCollector(name: string): Promise<void> {
    const slot = this.#slot(name);
    slot.controller?.abort();
    await slot.collector?.done;
  }

  /** Every collector's figures. */
  collectors(): CollectorRow[] {
    return [...this.#slots.values()].map((slot) => {
      const stats = slot.collector?.stats();
      const serial = slot.source.stats();
      return {
        name: slot.name,
        targetHz: this.#rateHz,
        effectiveHz: stats?.effectiveRateHz ?? 0,
        captured: stats?.captured ?? 0,
        missedTicks: stats?.missed ?? 0,
        errors: stats?.errors ?? 0,
        reconnects: serial.reconnects,
        running: slot.controller !== undefined && !slot.controller.signal.aborted,
        source: slot.kind,
        lastError: stats?.lastError?.message ?? serial.lastError?.message ?? null,
      };
    });
  }

  /** Samples written since start, over every collector. */
  get totalCaptured(): number {
    return this.#totalCaptured;
  }

  /** The capture directory's files, sorted by name (each collector's files in data order). */
  async files(): Promise<CaptureFileRow[]> {
    const rows: CaptureFileRow[] = [];
    for (const name of (await readdir(this.dir)).sort()) {
      if (!name.endsWith(".mcap") && !name.endsWith(".mcap.part")) continue;
      const info = await stat(join(this.dir, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined; // finished and renamed, or synced, since readdir
        throw error;
      });
      if (!info?.isFile()) continue;
      const parsed = parseCaptureFileName(name);
      rows.push({
        name, bytes: info.size, finished: name.endsWith(".mcap"),
        collector: parsed?.collector ?? null, sequence: parsed?.sequence ?? null,
      });
    }
    return rows;
  }

  #publish(): void {
    for (const [collector, batch] of this.#pending) {
      if (batch.length === 0) continue;
      this.#hub.publish("samples", { collector, samples: batch.splice(0) });
    }
    this.#hub.publish("collectors", this.collectors());
  }

  /** Stops every collector, finishes and renames open files, closes the ports. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (const slot of this.#slots.values()) slot.controller?.abort();
    await Promise.all([...this.#slots.values()].map((slot) => slot.collector?.done));
    await this.#writer.close();
    await Promise.all([...this.#slots.values()].map((slot) => slot.source.close()));
  }
}
