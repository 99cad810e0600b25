/**
 * What the status page reads: the plain data of a status snapshot and of the `/events` stream (CONTRACTS.md),
 * as narrow structural types, so the page depends on the fields it shows and nothing else. The robot app's
 * `StatusSource` satisfies `PageStatusSource`.
 *
 * @module
 */

/** The error of a run that could not be loaded (a bad run), as the run store lists it. */
export interface PageDataError {
  readonly code?: string;
  readonly errorCode?: string;
  readonly title?: string;
  readonly message?: string;
  readonly detail?: string;
  /** The store's stable code, where the API gives Opentrons' numeric `errorCode` at the top. */
  readonly meta?: { readonly code?: string };
}

/** One run in the runs table. */
export interface PageRun {
  readonly id: string;
  readonly status?: string;
  readonly commandCount?: number;
  readonly createdAt?: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly current?: boolean;
  readonly dataError?: PageDataError;
}

/** One collector's counters, as the `collectors` event carries them. */
export interface PageCollector {
  readonly name: string;
  readonly targetHz: number;
  readonly effectiveHz: number;
  readonly missedTicks: number;
  readonly errors: number;
  readonly reconnects: number;
  readonly running: boolean;
}

/** The sync engine's status (the `sync` event). */
export interface PageSync {
  readonly online: boolean;
  readonly queued: number;
  readonly uploading?: number;
  readonly uploadedFiles: number;
  readonly uploadedBytes: number;
  readonly retries?: number;
  readonly failed?: number;
  /** The last error: the sync engine's `{ code, message, at }`, or plain text. */
  readonly lastError?: string | { readonly code: string; readonly message: string; readonly at?: string } | null;
  readonly bytesPerSecond: number;
  readonly failedFiles: readonly { readonly name: string; readonly reason: string }[];
}

/** Disk, database and data version (the `system` event). */
export interface PageSystem {
  readonly diskFreeBytes: number;
  readonly diskThresholdBytes: number;
  readonly dbBytes: number;
  readonly dataVersion: number | string;
  readonly migrating: boolean;
}

/** A migration's progress (the `migration` event, and what `/health` answers while migrating). */
export interface PageMigration {
  readonly phase: string;
  readonly done: number;
  readonly total: number;
  readonly quarantined: number;
  readonly itemsPerSecond: number;
  readonly etaMs: number | null;
}

/** Everything the page renders on the server. */
export interface PageSnapshot {
  readonly runs: readonly PageRun[];
  readonly collectors: readonly PageCollector[];
  readonly sync?: PageSync | null;
  readonly system?: PageSystem | null;
  readonly migration?: PageMigration | null;
}

/** Where the page gets its snapshot: the robot app's `StatusSource` fits. */
export interface PageStatusSource {
  snapshot(): Promise<PageSnapshot>;
}
