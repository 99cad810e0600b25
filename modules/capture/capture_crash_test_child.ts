/**
 * Crash-test child (not published): a collector captures a counter source as fast as it can into `dir` with a
 * small flush interval and small files, and prints `flushed <seq>` after every flush, where `<seq>` is the last
 * counter value whose write had completed before that flush. The parent kills it with SIGKILL at random moments.
 */
import { createCaptureWriter } from "./capture_writer.ts";
import { createCollector } from "./collector.ts";
import { systemClock } from "./clock.ts";

const [dir, flushIntervalMs] = process.argv.slice(2);
let next = 0;
let lastWritten = -1;
const writer = createCaptureWriter({
  dir: dir!,
  flushIntervalMs: Number(flushIntervalMs),
  maxFileBytes: 256 * 1024,
  onEvent(event) {
    if (event.type === "flushed") process.stdout.write(`flushed ${lastWritten}\n`);
    if (event.type === "error") process.stdout.write(`error ${event.error.message}\n`);
  },
});
const pad = "p".repeat(200);
createCollector({
  name: "counter",
  rateHz: 100_000,
  // Real time, but a "sleep" that only yields to the event loop (so the flush timer runs): the collector
  // then reads as fast as the writer takes samples, far above what a 1 ms timer allows.
  clock: { now: systemClock.now, sleep: () => new Promise<void>((resolve) => setImmediate(resolve)) },
  signal: new AbortController().signal,
  source: { read: async () => ({ seq: next++, pad }) },
  writer: {
    async write(collector, method, sample, logTimeMs) {
      await writer.write(collector, method, sample, logTimeMs);
      lastWritten = (sample as { seq: number }).seq;
    },
  },
});
process.stdout.write("ready\n");
