/**
 * Boot of the data root: brings it to the robot's data version before the run store opens, reporting progress
 * (the HTTP server answers `/health` with it meanwhile). The one place where `@deckhand/migrate` is wired in.
 *
 * STAND-IN: `@deckhand/migrate` (issue 15) is not merged yet. Until it is, this creates `<root>/v2` and
 * migrates nothing. Wiring the real module in is the body of `bootDataRoot`:
 * `migrateDataRoot({ root, target: ROBOT_DATA_VERSION, migrations: robotMigrations, onProgress, signal })`.
 *
 * @module
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** The data version this app reads and writes (`<root>/v2/runs.db`). */
export const DATA_VERSION = 2;

/** Progress of a data-root migration (the shape of `@deckhand/migrate`'s `MigrationProgress`). */
export interface BootProgress {
  readonly phase: string;
  readonly done: number;
  readonly total: number;
  readonly quarantined: number;
  readonly itemsPerSecond: number;
  readonly etaMs: number | null;
}

/** What the boot produced. */
export interface BootResult {
  /** Absolute path of the complete version directory; the run store is `<dir>/runs.db`. */
  readonly dir: string;
  readonly version: number;
  /** The version migrated from, or null when nothing was migrated. */
  readonly migratedFrom: number | null;
  /** Records the migration could not convert and kept aside as bad runs. */
  readonly quarantined: number;
}

/** Options of `bootDataRoot`. */
export interface BootOptions {
  readonly root: string;
  readonly onProgress: (progress: BootProgress) => void;
  readonly signal: AbortSignal;
  /**
   * Test hook (`DECKHAND_TEST_BOOT_DELAY_MS`): make the boot take this long, in ten progress steps, so a test
   * can watch `/health` answer 503 while it runs. 0 in production.
   */
  readonly testDelayMs?: number;
}

/**
 * Brings `root` to `DATA_VERSION` and returns the directory to open.
 *
 * @example
 * ```ts
 * const boot = await bootDataRoot({ root: "/var/lib/deckhand", onProgress: console.log, signal });
 * const store = await openRunStore({ url: `file:${boot.dir}/runs.db` });
 * ```
 */
export async function bootDataRoot(options: BootOptions): Promise<BootResult> {
  const dir = join(options.root, `v${DATA_VERSION}`);
  const delay = options.testDelayMs ?? 0;
  if (delay > 0) {
    const steps = 10;
    const started = Date.now();
    for (let done = 0; done < steps; done++) {
      options.onProgress({ phase: "migrating", done, total: steps, quarantined: 0, itemsPerSecond: done / Math.max(0.001, (Date.now() - started) / 1000), etaMs: ((steps - done) * delay) / steps });
      await sleep(delay / steps, undefined, { signal: options.signal });
    }
    options.onProgress({ phase: "done", done: steps, total: steps, quarantined: 0, itemsPerSecond: 0, etaMs: 0 });
  }
  await mkdir(dir, { recursive: true });
  return { dir, version: DATA_VERSION, migratedFrom: null, quarantined: 0 };
}
