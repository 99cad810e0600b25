/**
 * Capture messages, counted where they ended up (finished files in the capture directory, objects at the sync
 * target), and the loss-window check: a message the collector had captured more than the flush interval before a
 * `kill -9` must be in a file afterwards.
 *
 * @example
 * ```ts
 * const census = await readCaptureMessages([...captureFiles, ...targetObjects]);
 * const report = checkCaptureWindow(session, census.byCollector.get("temp-module") ?? [], { flushIntervalMs: 500 });
 * ```
 */
import { readFile } from "node:fs/promises";
import { McapStreamReader } from "@mcap/core";
import { loadDecompressHandlers } from "@deckhand/capture";

/** Messages found, by collector (the first segment of the topic `/<collector>/<method>`). */
export interface CaptureCensus {
  /** Log times in milliseconds, sorted, per collector. */
  readonly byCollector: ReadonlyMap<string, readonly number[]>;
  readonly messages: number;
  readonly files: number;
  /** Files that are not complete, valid MCAP (with why). */
  readonly unreadable: readonly { readonly path: string; readonly reason: string }[];
}

/** Reads every message of every file (streaming reader, CRCs checked); files that are not MCAP are reported. */
export async function readCaptureMessages(paths: readonly string[]): Promise<CaptureCensus> {
  const decompressHandlers = await loadDecompressHandlers();
  const byCollector = new Map<string, number[]>();
  const unreadable: { path: string; reason: string }[] = [];
  let messages = 0;
  for (const path of paths) {
    const bytes = await readFile(path);
    const reader = new McapStreamReader({ validateCrcs: true, decompressHandlers });
    const found: [string, number][] = [];
    const topics = new Map<number, string>();
    try {
      reader.append(bytes);
      for (let record = reader.nextRecord(); record; record = reader.nextRecord()) {
        if (record.type === "Channel") topics.set(record.id, record.topic);
        if (record.type === "Message") {
          const collector = (topics.get(record.channelId) ?? "/?").split("/")[1] ?? "?";
          found.push([collector, Number(record.logTime / 1_000_000n)]);
        }
      }
      if (!reader.done()) throw new Error("ends before its footer");
    } catch (error) {
      unreadable.push({ path, reason: error instanceof Error ? error.message : String(error) });
      continue;
    }
    for (const [collector, t] of found) {
      let list = byCollector.get(collector);
      if (!list) byCollector.set(collector, (list = []));
      list.push(t);
    }
    messages += found.length;
  }
  for (const list of byCollector.values()) list.sort((a, b) => a - b);
  return { byCollector, messages, files: paths.length - unreadable.length, unreadable };
}

/** One life of the robot process, as the campaign saw it. */
export interface CaptureSession {
  /** Wall-clock ms before the process was started. */
  readonly startedAt: number;
  /** Wall-clock ms of the kill (or of a clean stop: then no loss is allowed). */
  readonly endedAt: number;
  readonly killed: boolean;
  /** Polls of the collector's `captured` counter: wall-clock ms when the answer was received, and the count. */
  readonly polls: readonly { readonly t: number; readonly captured: number }[];
}

/** What the window check found for one session. */
export interface CaptureWindowReport {
  /** Messages that had to survive: captured by the last poll older than the loss window. */
  readonly required: number;
  /** Messages found with a log time inside the session. */
  readonly found: number;
  /** Required messages missing: `max(0, required - found)`. */
  readonly lostBeyondWindow: number;
}

/** Binary search: the count of sorted `times` in `[from, to]`. */
function countBetween(times: readonly number[], from: number, to: number): number {
  const lowerBound = (x: number, strict: boolean) => {
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (strict ? times[mid]! <= x : times[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return lowerBound(to, true) - lowerBound(from, false);
}

/**
 * Checks one session: of the messages captured by the last poll answered at least `flushIntervalMs + marginMs`
 * before the kill (any poll for a clean stop), none may be missing. `marginMs` (default 250) absorbs a flush
 * timer running late on a loaded machine.
 */
export function checkCaptureWindow(
  session: CaptureSession,
  logTimesMs: readonly number[],
  options: { flushIntervalMs: number; marginMs?: number },
): CaptureWindowReport {
  const deadline = session.killed ? session.endedAt - options.flushIntervalMs - (options.marginMs ?? 250) : Infinity;
  const durable = session.polls.filter((p) => p.t <= deadline);
  const required = durable.length ? Math.max(...durable.map((p) => p.captured)) : 0;
  const found = countBetween(logTimesMs, session.startedAt, session.endedAt);
  return { required, found, lostBeyondWindow: Math.max(0, required - found) };
}
