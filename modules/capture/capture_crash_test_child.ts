/**
 * Crash-test child (not published): captures a counter as fast as it can into
 * `dir` with a small flush interval and small files, and prints `flushed <seq>` after every flush, where
 * `<seq>` is the last counter value whose write had completed before that flush. The parent kills it with
 * SIGKILL at random moments.
 */
import { createCaptureWriter } from "./capture_writer.ts";

const [dir, flushIntervalMs] = process.argv.slice(2);
let next = 0;
let lastWritten = -1;
const writer = createCaptureWriter({
  dir: dir!,
  flushIntervalMs: Number(flushIntervalMs),
  maxFileBytes: 8 * 1024,
  onEvent(event) {
    if (event.type === "flushed") process.stdout.write(`flushed ${lastWritten}\n`);
    if (event.type === "error") process.stdout.write(`error ${event.error.message}\n`);
  },
});
const pad = "p".repeat(200);
process.stdout.write("ready\n");
// A tight capture loop (faster than a timer-paced collector), yielding to the event loop every 20 samples
// so the flush timer runs.
for (;;) {
  const seq = next++;
  await writer.write("counter", "read", { seq, pad });
  lastWritten = seq;
  if (seq % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
}
