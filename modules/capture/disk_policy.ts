/**
 * What capture does when the disk runs low: before each new capture file and at every flush it probes the free space and, below
 * the threshold, either deletes every Nth oldest finished file (as Viam's `delete_every_nth_when_disk_full`)
 * or pauses capture until space comes back.
 *
 * @module
 */
import { mkdir, readdir, statfs, unlink } from "node:fs/promises";
import { join } from "node:path";
import { parseCaptureFileName } from "./capture_file_name.ts";
import type { CaptureEvent } from "./capture_event.ts";
import type { Clock } from "./clock.ts";
import { DiskFullError } from "./errors.ts";

/** Returns the bytes available to this process on the file system holding `dir`. */
export type FreeBytesProbe = (dir: string) => Promise<number>;

/**
 * The disk policy of a capture writer.
 * - `minFreeBytes`: the threshold checked (with `freeBytes`) before each new capture file is opened.
 * - `policy: { deleteEveryNth: n }`: delete the 1st, (n+1)th, (2n+1)th... oldest finished `.mcap` files, then go on.
 * - `policy: "pause"`: open no file and reject writes with `DiskFullError` until free space is back above the threshold.
 */
export interface DiskPolicy {
  readonly minFreeBytes: number;
  readonly policy: "pause" | { readonly deleteEveryNth: number };
  /** The free-space probe; defaults to `statfsFreeBytes`. Inject one to simulate a full disk. */
  readonly freeBytes?: FreeBytesProbe;
}

/**
 * The default free-space probe: `statfs(dir)` available blocks times block size (works on Node and Deno).
 *
 * @example
 * ```ts
 * const free = await statfsFreeBytes("/var/lib/deckhand/capture");
 * ```
 */
export async function statfsFreeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return Number(stats.bavail) * Number(stats.bsize);
}

/**
 * Deletes every `n`th finished capture file in `dir`, oldest first (by start time, then collector, then
 * sequence), reporting each deletion as a `deleted` event. `.mcap.part` files are never touched.
 */
export async function deleteEveryNthFinishedFile(
  dir: string,
  n: number,
  freeBytes: number,
  onEvent: (event: CaptureEvent) => void,
): Promise<number> {
  const finished = (await readdir(dir))
    .map((file) => ({ file, name: parseCaptureFileName(file) }))
    .filter((entry) => entry.name?.finished === true)
    .sort(
      (a, b) =>
        a.name!.startedAtMs - b.name!.startedAtMs ||
        (a.name!.collector < b.name!.collector ? -1 : a.name!.collector > b.name!.collector ? 1 : 0) ||
        a.name!.sequence - b.name!.sequence,
    );
  let deleted = 0;
  for (let i = 0; i < finished.length; i += n) {
    const file = finished[i]!.file;
    try {
      await unlink(join(dir, file));
    } catch (error) {
      // Another process (sync) may have uploaded and removed it meanwhile: that also frees the space.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    deleted++;
    onEvent({ type: "deleted", file, reason: "disk-low", freeBytes });
  }
  return deleted;
}

/** Applies a writer's disk policy: probes free space, deletes every Nth file, or pauses and resumes capture. */
export class DiskGuard {
  readonly #dir: string;
  readonly #disk: DiskPolicy;
  readonly #reprobeMs: number;
  readonly #clock: Clock;
  readonly #onEvent: (event: CaptureEvent) => void;
  #paused = false;
  #lastProbeMs = Number.NEGATIVE_INFINITY;

  /** Guards `dir` with `disk`; while paused, free space is probed again at most every `reprobeMs`. */
  constructor(dir: string, disk: DiskPolicy, reprobeMs: number, clock: Clock, onEvent: (event: CaptureEvent) => void) {
    this.#dir = dir;
    this.#disk = disk;
    this.#reprobeMs = reprobeMs;
    this.#clock = clock;
    this.#onEvent = onEvent;
  }

  /** True while the `pause` policy holds capture. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Before a new file, or a write while paused: probes (rate-limited while paused) and throws `DiskFullError` if paused. */
  async admit(): Promise<void> {
    const now = this.#clock.now();
    // A clock that stepped back (now before the last probe) must not postpone the next probe by the step.
    if (!this.#paused || now - this.#lastProbeMs >= this.#reprobeMs || now < this.#lastProbeMs) await this.probe();
    if (this.#paused) {
      throw new DiskFullError(
        `capture is paused: free space in ${this.#dir} is below the ${this.#disk.minFreeBytes}-byte threshold; free space to resume`,
      );
    }
  }

  /** Probes free space and applies the policy: deletes every Nth file, or pauses / resumes capture. */
  async probe(): Promise<void> {
    const disk = this.#disk;
    this.#lastProbeMs = this.#clock.now();
    await mkdir(this.#dir, { recursive: true });
    const free = await (disk.freeBytes ?? statfsFreeBytes)(this.#dir);
    if (free >= disk.minFreeBytes) {
      if (this.#paused) {
        this.#paused = false;
        this.#onEvent({ type: "resumed", freeBytes: free });
      }
      return;
    }
    this.#onEvent({ type: "disk-low", freeBytes: free, minFreeBytes: disk.minFreeBytes });
    if (disk.policy === "pause") {
      if (!this.#paused) {
        this.#paused = true;
        this.#onEvent({ type: "paused", freeBytes: free });
      }
      return;
    }
    await deleteEveryNthFinishedFile(this.#dir, disk.policy.deleteEveryNth, free, this.#onEvent);
  }
}
