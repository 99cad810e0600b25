/**
 * @deckhand/capture benchmarks.
 *
 * 1. Messages/s into MCAP files for 100-byte and 10-KB samples (JSON bytes, one collector and method). Baseline:
 *    `@mcap/core`'s `McapWriter` alone writing the same bytes on one channel into one file, ended and fsynced.
 *    Contender: the capture writer (its own chunking with flushable chunks, statistics, fsync on finish, rename,
 *    directory fsync): goal within 1.2x of the baseline (ratio >= 0.83). Reference rows (no goal): the capture
 *    writer with zstd chunks, and appending the same samples as JSON lines through a file write stream.
 * 2. Read-back: every message of a capture file through `McapIndexedReader`, against the same reader over the
 *    file `McapWriter` wrote, with `McapStreamReader` over the capture file for reference.
 * 3. Recovery: MB/s of `recoverCaptureDir` over a damaged 64 MiB `.part` (8 MiB in quick mode; three chunks
 *    with a flipped opcode bit, resynchronised past, and a torn tail), output written and fsynced, against
 *    `McapStreamReader` (CRCs validated) reading the same intact bytes in memory: the cost of resynchronising,
 *    rebuilding and writing the file over a plain read.
 * 4. Metrics: a 1 kHz collector (simulated temperature module into a capture writer, real clock) for 10 s
 *    (2 s quick): tick jitter p50/p99 (lateness of each read after its scheduled tick), missed ticks, rate; and
 *    the heap of a serial source after 100,000 reads (20,000 quick) on one long-lived signal, through an
 *    in-memory binding under the real `@serialport/stream`, with the abort listeners left on that signal.
 */
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { getEventListeners } from "node:events";
import v8 from "node:v8";
import vm from "node:vm";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { McapIndexedReader, McapStreamReader, McapWriter } from "@mcap/core";
import {
  createCaptureWriter,
  createCollector,
  createSerialSource,
  createSimulatedTemperatureModule,
  parseTemperatureResponse,
  recoverCaptureDir,
  systemClock,
} from "@deckhand/capture";
import type { SerialBinding } from "@deckhand/capture";
import { type BenchGroup, type BenchMetric, defineSuite } from "../harness.ts";

const encoder = new TextEncoder();

/** A JSON sample of exactly `bytes` bytes, so every writer stores the same payload. */
function sampleOf(bytes: number): Uint8Array {
  const head = '{"seq":0,"pad":"';
  const tail = '"}';
  const data = encoder.encode(head + "x".repeat(bytes - head.length - tail.length) + tail);
  if (data.byteLength !== bytes) throw new Error(`sample is ${data.byteLength} bytes, wanted ${bytes}`);
  return data;
}

const T0 = BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n;

async function writeWithMcapCore(path: string, sample: Uint8Array, count: number): Promise<void> {
  const handle = await open(path, "w");
  let position = 0n;
  const writer = new McapWriter({
    writable: {
      position: () => position,
      write: async (buffer: Uint8Array) => {
        await handle.write(buffer);
        position += BigInt(buffer.byteLength);
      },
    },
  });
  await writer.start({ profile: "", library: "bench" });
  const schemaId = await writer.registerSchema({ name: "bench.read", encoding: "jsonschema", data: encoder.encode("{}") });
  const channelId = await writer.registerChannel({ topic: "/bench/read", schemaId, messageEncoding: "json", metadata: new Map() });
  for (let i = 0; i < count; i++) {
    const time = T0 + BigInt(i) * 1_000_000n;
    await writer.addMessage({ channelId, sequence: i, logTime: time, publishTime: time, data: sample });
  }
  await writer.end();
  await handle.sync();
  await handle.close();
}

async function writeWithCapture(dir: string, sample: Uint8Array, count: number, compression: "none" | "zstd" = "none"): Promise<void> {
  const writer = createCaptureWriter({ dir, maxFileBytes: 1 << 30, flushIntervalMs: 60_000, compression });
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < count; i++) await writer.write("bench", "read", sample, t0 + i);
  await writer.close();
}

async function writeJsonLines(path: string, sample: Uint8Array, count: number): Promise<void> {
  const stream = createWriteStream(path);
  const newline = encoder.encode("\n");
  for (let i = 0; i < count; i++) {
    if (!stream.write(sample)) await new Promise<void>((resolve) => stream.once("drain", () => resolve()));
    stream.write(newline);
  }
  await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  const handle = await open(path, "r+");
  await handle.sync();
  await handle.close();
}

async function emptyDir(dir: string): Promise<void> {
  for (const file of await readdir(dir)) await rm(join(dir, file), { recursive: true, force: true });
}

async function writeGroup(label: string, bytes: number, count: number): Promise<BenchGroup> {
  const sample = sampleOf(bytes);
  const root = await mkdtemp(join(tmpdir(), "deckhand-bench-capture-"));
  const dirs = { core: join(root, "core"), capture: join(root, "capture"), zstd: join(root, "zstd"), lines: join(root, "lines") };
  for (const dir of Object.values(dirs)) await mkdir(dir);
  return {
    name: `${count} ${label} samples into a file`,
    baseline: {
      name: "@mcap/core McapWriter alone",
      fn: () => writeWithMcapCore(join(dirs.core, "core.mcap"), sample, count),
      beforeEach: () => emptyDir(dirs.core),
      unitsPerOp: count,
      unit: "msgs",
    },
    tasks: [
      {
        name: "capture writer",
        fn: () => writeWithCapture(dirs.capture, sample, count),
        beforeEach: () => emptyDir(dirs.capture),
        unitsPerOp: count,
        unit: "msgs",
      },
      {
        name: "capture writer, zstd chunks (reference)",
        fn: () => writeWithCapture(dirs.zstd, sample, count, "zstd"),
        beforeEach: () => emptyDir(dirs.zstd),
        unitsPerOp: count,
        unit: "msgs",
      },
      {
        name: "JSON lines append (reference)",
        fn: () => writeJsonLines(join(dirs.lines, "lines.jsonl"), sample, count),
        beforeEach: () => emptyDir(dirs.lines),
        unitsPerOp: count,
        unit: "msgs",
      },
    ],
    goals: { "capture writer": { min: 0.83 } },
    teardown: () => rm(root, { recursive: true, force: true }),
  };
}

async function readIndexed(bytes: Uint8Array): Promise<number> {
  const reader = await McapIndexedReader.Initialize({
    readable: {
      size: async () => BigInt(bytes.byteLength),
      read: async (offset: bigint, size: bigint) => bytes.subarray(Number(offset), Number(offset + size)),
    },
  });
  let count = 0;
  for await (const message of reader.readMessages()) count += message.data.byteLength > 0 ? 1 : 0;
  return count;
}

function readStreaming(bytes: Uint8Array): number {
  const reader = new McapStreamReader();
  reader.append(bytes);
  let count = 0;
  for (let record = reader.nextRecord(); record; record = reader.nextRecord()) if (record.type === "Message") count++;
  return count;
}

async function readGroup(count: number): Promise<BenchGroup> {
  const sample = sampleOf(100);
  const root = await mkdtemp(join(tmpdir(), "deckhand-bench-capture-read-"));
  await writeWithMcapCore(join(root, "core.mcap"), sample, count);
  await writeWithCapture(root, sample, count);
  const captureFile = (await readdir(root)).find((f) => f.startsWith("bench_"))!;
  const coreBytes = new Uint8Array(await readFile(join(root, "core.mcap")));
  const captureBytes = new Uint8Array(await readFile(join(root, captureFile)));
  await rm(root, { recursive: true, force: true });
  const expect = (n: number): number => {
    if (n !== count) throw new Error(`read ${n} messages, expected ${count}`);
    return n;
  };
  return {
    name: `read back ${count} 100 B messages`,
    baseline: { name: "McapIndexedReader, McapWriter's file", fn: async () => expect(await readIndexed(coreBytes)), unitsPerOp: count, unit: "msgs" },
    tasks: [
      { name: "McapIndexedReader, capture file", fn: async () => expect(await readIndexed(captureBytes)), unitsPerOp: count, unit: "msgs" },
      { name: "McapStreamReader, capture file", fn: () => expect(readStreaming(captureBytes)), unitsPerOp: count, unit: "msgs" },
    ],
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function collectorJitter(seconds: number): Promise<BenchMetric[]> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-bench-capture-jitter-"));
  const writer = createCaptureWriter({ dir, flushIntervalMs: 1000 });
  const module = createSimulatedTemperatureModule({ seed: 1 });
  const controller = new AbortController();
  const periodMs = 1;
  const readTimes: number[] = [];
  const startedAt = systemClock.now();
  const collector = createCollector({
    name: "jitter",
    rateHz: 1000 / periodMs,
    writer,
    signal: controller.signal,
    source: {
      read(signal) {
        readTimes.push(systemClock.now());
        return module.read(signal);
      },
    },
  });
  await systemClock.sleep(seconds * 1000);
  controller.abort();
  await collector.done;
  await writer.close();
  await rm(dir, { recursive: true, force: true });
  // Lateness of each read after the tick it ran for (the collector's schedule is startedAt + k * period).
  const lateness = readTimes.map((t) => (t - startedAt) % periodMs).sort((a, b) => a - b);
  const stats = collector.stats();
  return [
    { name: "1 kHz collector tick jitter p50", value: percentile(lateness, 50) * 1000, unit: "µs", note: `${seconds} s, ${readTimes.length} reads` },
    { name: "1 kHz collector tick jitter p99", value: percentile(lateness, 99) * 1000, unit: "µs" },
    { name: "1 kHz collector missed ticks", value: stats.missed, unit: "ticks", note: `of ${seconds * 1000}` },
    { name: "1 kHz collector effective rate", value: stats.effectiveRateHz, unit: "Hz" },
  ];
}

/** A capture `.part` of about `mib` MiB with three damaged chunk opcodes and a torn tail, and the intact bytes. */
async function damagedPart(mib: number): Promise<{ intact: Uint8Array; damaged: Uint8Array; name: string }> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-bench-capture-recovery-"));
  try {
    const writer = createCaptureWriter({ dir, maxFileBytes: 1 << 30, chunkBytes: 256 * 1024, flushIntervalMs: 3_600_000 });
    const sample = sampleOf(200);
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i * 230 < mib * 1024 * 1024; i++) await writer.write("bench", "read", sample, t0 + i);
    await writer.close();
    const name = (await readdir(dir)).find((f) => f.endsWith(".mcap"))!;
    const intact = new Uint8Array(await readFile(join(dir, name)));
    const reader = await McapIndexedReader.Initialize({
      readable: { size: async () => BigInt(intact.byteLength), read: async (o, n) => intact.subarray(Number(o), Number(o + n)) },
    });
    const chunks = reader.chunkIndexes;
    const summaryStart = Number(reader.footer.summaryStart);
    // Cut inside the last chunk (torn tail), flip the opcode bit of chunks at 1/4, 1/2 and 3/4 of the file.
    const last = chunks[chunks.length - 1]!;
    const cut = Number(last.chunkStartOffset) + Math.floor(Number(last.chunkLength) / 2);
    const damaged = intact.slice(0, Math.min(cut, summaryStart));
    for (const at of [0.25, 0.5, 0.75]) damaged[Number(chunks[Math.floor(chunks.length * at)]!.chunkStartOffset)]! ^= 0x01;
    return { intact, damaged, name: `${name}.part` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function recoveryGroup(mib: number): Promise<BenchGroup> {
  const { intact, damaged, name } = await damagedPart(mib);
  const dir = await mkdtemp(join(tmpdir(), "deckhand-bench-capture-recover-"));
  const mb = damaged.byteLength / 1e6;
  return {
    name: `recover a damaged ${mib} MiB .part`,
    baseline: { name: "McapStreamReader over the intact file (in memory)", fn: () => readStreaming(intact), unitsPerOp: mb, unit: "MB" },
    tasks: [
      {
        name: "recoverCaptureDir (resync, rewrite, fsync)",
        fn: async () => {
          const [report] = await recoverCaptureDir(dir);
          if (!report || report.status !== "recovered" || report.damaged.length !== 4) {
            throw new Error(`recovery went wrong: ${JSON.stringify(report)}`);
          }
        },
        beforeEach: async () => {
          await emptyDir(dir);
          await writeFile(join(dir, name), damaged);
        },
        unitsPerOp: mb,
        unit: "MB",
      },
    ],
    teardown: () => rm(dir, { recursive: true, force: true }),
  };
}

/** An in-memory serial binding answering each poll through `respond` (no native code, no mock-port bookkeeping). */
function memoryBinding(respond: (line: string) => string): SerialBinding {
  const binding = {
    list: async () => [],
    async open(openOptions: { baudRate: number }) {
      let pending: Buffer[] = [];
      let wake: (() => void) | undefined;
      const port = {
        openOptions,
        isOpen: true,
        async close() {
          port.isOpen = false;
          wake?.();
        },
        async read(buffer: Buffer, offset: number, length: number) {
          while (pending.length === 0) {
            if (!port.isOpen) throw Object.assign(new Error("Read canceled"), { canceled: true });
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
          const chunk = pending.shift()!;
          const bytesRead = chunk.copy(buffer, offset, 0, length);
          if (bytesRead < chunk.byteLength) pending.unshift(chunk.subarray(bytesRead));
          return { buffer, bytesRead };
        },
        async write(buffer: Buffer) {
          pending.push(Buffer.from(respond(buffer.toString("latin1")), "latin1"));
          wake?.();
        },
        async update() {},
        async set() {},
        async get() {
          return { cts: false, dsr: false, dcd: false };
        },
        async getBaudRate() {
          return { baudRate: openOptions.baudRate };
        },
        async flush() {
          pending = [];
        },
        async drain() {},
      };
      return port;
    },
  };
  return binding as unknown as SerialBinding;
}

async function serialSourceHeap(reads: number): Promise<BenchMetric[]> {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const module = createSimulatedTemperatureModule({ seed: 1 });
  const source = createSerialSource({
    path: "/dev/bench0", baudRate: 115200, binding: memoryBinding((line) => module.respond(line)), request: "M105\n", parse: parseTemperatureResponse,
  });
  const signal = new AbortController().signal;
  await source.read(signal);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < reads; i++) await source.read(signal);
  gc();
  const after = process.memoryUsage().heapUsed;
  const listeners = getEventListeners(signal, "abort").length;
  await source.close();
  return [
    { name: `serial source heap growth after ${reads.toLocaleString("en")} reads`, value: (after - before) / (1024 * 1024), unit: "MiB", note: "after a full GC" },
    { name: `abort listeners left on the caller's signal after ${reads.toLocaleString("en")} reads`, value: listeners, unit: "listeners" },
  ];
}

export default defineSuite({
  name: "capture",
  groups: async ({ quick }) => [
    await writeGroup("100 B", 100, quick ? 5_000 : 20_000),
    await writeGroup("10 KB", 10_000, quick ? 500 : 2_000),
    await readGroup(quick ? 5_000 : 20_000),
    await recoveryGroup(quick ? 8 : 64),
  ],
  metrics: async ({ quick }) => [...(await collectorJitter(quick ? 2 : 10)), ...(await serialSourceHeap(quick ? 20_000 : 100_000))],
});
