/**
 * The change-feed check: the storage change log must have no gap (sequence numbers are `AUTOINCREMENT`, one per
 * entry, never reused, and an entry is written in the same transaction as its change), and every acknowledged
 * run must have its `created` entry.
 *
 * @example
 * ```ts
 * const report = checkChangeFeed(await store.changes(0, { limit: 1e9 }), ledger.runs().map((r) => r.runId));
 * ```
 */

/** The part of a change entry the check reads. */
export interface FeedEntry {
  readonly seq: number;
  readonly entity: string;
  readonly id: string;
  readonly kind: string;
}

/** What the check found. */
export interface ChangeFeedReport {
  readonly entries: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** Places where the next sequence number is not the previous plus one. */
  readonly gaps: readonly { readonly after: number; readonly next: number }[];
  /** Acknowledged runs with no `created` entry in the feed. */
  readonly runsWithoutEntry: readonly string[];
}

/**
 * Checks a change log read from sequence 1 (or any contiguous stretch: pass `expectFirst` to pin where it starts)
 * and that each of `acknowledgedRunIds` has a `run`/`created` entry.
 */
export function checkChangeFeed(
  entries: readonly FeedEntry[],
  acknowledgedRunIds: readonly string[] = [],
  options: { expectFirst?: number } = {},
): ChangeFeedReport {
  const gaps: { after: number; next: number }[] = [];
  const expectFirst = options.expectFirst ?? 1;
  if (entries.length > 0 && entries[0]!.seq !== expectFirst) gaps.push({ after: expectFirst - 1, next: entries[0]!.seq });
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.seq !== entries[i - 1]!.seq + 1) gaps.push({ after: entries[i - 1]!.seq, next: entries[i]!.seq });
  }
  const created = new Set(entries.filter((e) => e.entity === "run" && e.kind === "created").map((e) => e.id));
  return {
    entries: entries.length,
    firstSeq: entries[0]?.seq ?? null,
    lastSeq: entries.at(-1)?.seq ?? null,
    gaps,
    runsWithoutEntry: acknowledgedRunIds.filter((id) => !created.has(id)),
  };
}
