/**
 * The capture file naming contract, which `sync` and other readers rely on:
 * `<collector>_<YYYYMMDDTHHMMSSmmmZ>_<sequence>.mcap` (finished) or the same name plus `.part` (being written).
 *
 * @module
 */

/** The suffix of a finished capture file: complete, indexed, and never modified again. */
export const FINISHED_SUFFIX = ".mcap";
/** The suffix of a capture file still being written (or left behind by a crash, to be recovered). */
export const PART_SUFFIX = ".mcap.part";

const COLLECTOR_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const FILE_NAME = /^([A-Za-z0-9][A-Za-z0-9-]{0,63})_(\d{8}T\d{9}Z)_(\d{10})\.mcap(\.part)?$/;

/** The parts of a capture file name. */
export interface CaptureFileName {
  /** The collector whose samples the file holds. */
  readonly collector: string;
  /** When the file was opened, in epoch milliseconds (UTC, millisecond precision). */
  readonly startedAtMs: number;
  /** The collector's file sequence number: starts at 1, increases by one per file, never reused in a directory. */
  readonly sequence: number;
  /** True for `.mcap` (finished, final), false for `.mcap.part` (being written or awaiting recovery). */
  readonly finished: boolean;
}

/** True when `name` is a valid collector name: 1 to 64 of `A-Z a-z 0-9 -`, not starting with `-`. */
export function isValidCollectorName(name: string): boolean {
  return COLLECTOR_NAME.test(name);
}

function compactTimestamp(ms: number): string {
  // 2026-11-22T23:35:49.123Z -> 20261122T233549123Z (fixed width, sorts lexicographically by time)
  return new Date(Math.floor(ms)).toISOString().replace(/[-:.]/g, "");
}

/**
 * Formats a capture file name per the contract.
 *
 * @example
 * ```ts
 * formatCaptureFileName({ collector: "temp", startedAtMs: Date.UTC(2026, 10, 22), sequence: 7, finished: false });
 * // "temp_20261122T000000000Z_0000000007.mcap.part"
 * ```
 */
export function formatCaptureFileName(name: CaptureFileName): string {
  const sequence = String(name.sequence).padStart(10, "0");
  return `${name.collector}_${compactTimestamp(name.startedAtMs)}_${sequence}${name.finished ? FINISHED_SUFFIX : PART_SUFFIX}`;
}

/**
 * Parses a capture file name; returns `undefined` for any other file (temp files, `corrupt/`, foreign files).
 *
 * @example
 * ```ts
 * parseCaptureFileName("temp_20261122T000000000Z_0000000007.mcap")?.sequence; // 7
 * ```
 */
export function parseCaptureFileName(fileName: string): CaptureFileName | undefined {
  const match = FILE_NAME.exec(fileName);
  if (!match) return undefined;
  const t = match[2]!;
  const startedAtMs = Date.UTC(
    Number(t.slice(0, 4)),
    Number(t.slice(4, 6)) - 1,
    Number(t.slice(6, 8)),
    Number(t.slice(9, 11)),
    Number(t.slice(11, 13)),
    Number(t.slice(13, 15)),
    Number(t.slice(15, 18)),
  );
  if (Number.isNaN(startedAtMs)) return undefined;
  return { collector: match[1]!, startedAtMs, sequence: Number(match[3]), finished: match[4] === undefined };
}
