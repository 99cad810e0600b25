/**
 * The in-process fan-out behind `GET /events`: run changes, batched collector samples, collector stats, sync
 * status, system figures and migration progress, each a named event with plain JSON data.
 *
 * @module
 */

/** The events `GET /events` sends, by name. */
export interface RobotEvents {
  run: {
    runId: string;
    kind: "created" | "updated" | "commands" | "deleted";
    status?: string;
    commandCount?: number;
    seq: number;
  };
  samples: { collector: string; samples: { t: number; values: Record<string, number> }[] };
  collectors: CollectorRow[];
  sync: unknown;
  system: SystemRow;
  migration: unknown;
}

/** One collector's figures, as sent in `collectors` events and the status snapshot. */
export interface CollectorRow {
  readonly name: string;
  readonly targetHz: number;
  readonly effectiveHz: number;
  readonly captured: number;
  readonly missedTicks: number;
  readonly errors: number;
  readonly reconnects: number;
  readonly running: boolean;
  readonly source: "simulated" | "serial";
  readonly lastError: string | null;
}

/** Disk and data figures, as sent in `system` events and the status snapshot. */
export interface SystemRow {
  readonly diskFreeBytes: number;
  readonly diskThresholdBytes: number;
  readonly dbBytes: number;
  readonly dataVersion: number;
  readonly migrating: boolean;
}

/** One event as delivered to a subscriber. */
export type RobotEvent = { [K in keyof RobotEvents]: { readonly event: K; readonly data: RobotEvents[K] } }[keyof RobotEvents];

/**
 * A synchronous fan-out of robot events to subscribers (each SSE connection is one).
 *
 * @example
 * ```ts
 * const hub = new EventHub();
 * const stop = hub.subscribe((e) => console.log(e.event, e.data));
 * hub.publish("migration", { phase: "copy", done: 1, total: 2 });
 * stop();
 * ```
 */
export class EventHub {
  readonly #listeners = new Set<(event: RobotEvent) => void>();
  readonly #last = new Map<keyof RobotEvents, RobotEvent>();

  /** Sends an event to every subscriber; a subscriber that throws is dropped, never the publisher. */
  publish<K extends keyof RobotEvents>(event: K, data: RobotEvents[K]): void {
    const message = { event, data } as RobotEvent;
    if (event !== "run" && event !== "samples") this.#last.set(event, message);
    for (const listener of this.#listeners) {
      try {
        listener(message);
      } catch (error) {
        this.#listeners.delete(listener);
        console.error("robot: an event subscriber failed and was removed", error);
      }
    }
  }

  /** The latest state-like events (collectors, sync, system, migration), for a new subscriber to start from. */
  latest(): RobotEvent[] {
    return [...this.#last.values()];
  }

  /** Receives every later event; returns the unsubscribe function. */
  subscribe(listener: (event: RobotEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** How many subscribers are connected. */
  get size(): number {
    return this.#listeners.size;
  }
}
