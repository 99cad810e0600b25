/**
 * The window of a command page, by Opentrons' rules (`get_commands_slice`): `pageLength` defaults to 20;
 * without a cursor the page is the last one (`totalLength - pageLength`); the cursor is then clamped to
 * `[0, totalLength - 1]`; the page is `[cursor, cursor + pageLength)`, empty for a page length of 0 or less.
 *
 * @module
 */

/** The default number of commands per page. */
export const DEFAULT_PAGE_LENGTH = 20;

/** Which commands a page holds. */
export interface CommandWindow {
  /** The clamped cursor, reported in `meta.cursor`. */
  readonly cursor: number;
  /** How many commands to read from `cursor` (0 for an empty page). */
  readonly count: number;
}

/**
 * Computes the page window.
 *
 * @example
 * ```ts
 * commandWindow(100, undefined, 20); // { cursor: 80, count: 20 }
 * commandWindow(100, 500, 20);       // { cursor: 99, count: 1 }
 * ```
 */
export function commandWindow(totalLength: number, cursor: number | undefined, pageLength: number = DEFAULT_PAGE_LENGTH): CommandWindow {
  const wanted = cursor ?? totalLength - pageLength;
  const clamped = Math.max(0, Math.min(wanted, totalLength - 1));
  const count = pageLength <= 0 ? 0 : Math.max(0, Math.min(pageLength, totalLength - clamped));
  return { cursor: clamped, count };
}
