/**
 * Times in the store: columns hold milliseconds since the Unix epoch, records and callers use ISO 8601 text.
 *
 * @module
 */
import { InvalidRecordError } from "./errors.ts";

/** A source of the current time in milliseconds since the Unix epoch; tests pass a fake one. */
export interface Clock {
  now(): number;
}

/** Parses a caller's ISO 8601 time to milliseconds, or reads the clock when none is given. */
export function parseTime(value: string | undefined, field: string, clock: Clock): number {
  if (value === undefined) return clock.now();
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new InvalidRecordError(`${field} must be an ISO 8601 time, got ${typeof value === "string" ? JSON.stringify(value) : typeof value}`);
  return ms;
}

/** Milliseconds to ISO 8601 text. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A nullable time column to ISO 8601 text or null. */
export function optionalIso(value: unknown): string | null {
  return value === null || value === undefined ? null : iso(Number(value));
}
