/**
 * How the status page writes numbers and times. `client.js` formats live values the same way (its
 * `fmt` object); `format.test.ts` checks the two agree.
 *
 * @module
 */

const units = ["B", "KB", "MB", "GB", "TB"];

/** Bytes in decimal units with three significant digits: `1234567` is `"1.23 MB"`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "–";
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const text = unit === 0 ? String(Math.round(value)) : value.toPrecision(3);
  return `${bytes < 0 ? "-" : ""}${text} ${units[unit]}`;
}

/** A rate in hertz with one decimal: `"9.8 Hz"`. */
export function formatHz(hz: number): string {
  return Number.isFinite(hz) ? `${hz.toFixed(1)} Hz` : "–";
}

/** A duration in milliseconds as `"1h 02m"`, `"3m 05s"` or `"12s"`; null is unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "–";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** An ISO timestamp as `"2026-11-29 19:40:01"` (UTC); missing or invalid is a dash. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "–";
  return date.toISOString().slice(0, 19).replace("T", " ");
}
