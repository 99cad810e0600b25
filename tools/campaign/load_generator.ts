/**
 * The campaign's steady load on the robot app: one writer creating runs, playing them and appending batches of
 * realistic commands, then finishing them; readers listing runs, paging commands and polling health. Every 2xx
 * write goes into the acknowledged-writes ledger; every answered request's latency is kept for p50/p99.
 * Connection errors (the robot being killed) are expected: the load waits for the next URL and carries on.
 *
 * @example
 * ```ts
 * const load = startLoad({ client, ledger, seed: 1 });
 * // ... kill and restart the robot ...
 * const figures = await load.stop();
 * ```
 */
import type { AckLedger } from "./ack_ledger.ts";
import type { RobotClient } from "./robot_client.ts";
import { createSeededRandom } from "./seeded_random.ts";

/** Options of {@link startLoad}. */
export interface LoadOptions {
  readonly client: RobotClient;
  readonly ledger: AckLedger;
  readonly seed: number;
  /** Commands per batch (default 1..10). */
  readonly batchSize?: readonly [number, number];
  /** Batches per run before it is finished (default 5..40). */
  readonly batchesPerRun?: readonly [number, number];
  /** Pause between the writer's batches, ms (default 25): the steady rate. */
  readonly writeIntervalMs?: number;
  /** Concurrent reader loops (default 2), each pausing `readIntervalMs` (default 20) between requests. */
  readonly readers?: number;
  readonly readIntervalMs?: number;
}

/** What the load measured. */
export interface LoadStats {
  readonly requests: number;
  /** Answers by status (`"201"`), and connection errors by code (`"ECONNREFUSED"`). */
  readonly byOutcome: Readonly<Record<string, number>>;
  /** Latencies of answered requests, ms (the live list: copy what you keep). */
  readonly latenciesMs: readonly number[];
  /** How many requests were answered so far (the length of `latenciesMs` at this instant). */
  readonly answered: number;
  readonly acknowledgedBatches: number;
  readonly runsCreated: number;
}

/** A running load. */
export interface Load {
  stats(): LoadStats;
  /** Stops issuing requests (in-flight ones finish) until `resume`. */
  pause(): Promise<void>;
  resume(): void;
  stop(): Promise<LoadStats>;
}

const commandTypes = ["aspirate", "dispense", "pickUpTip", "dropTip", "moveToWell", "blowout", "touchTip", "waitForDuration"];
const wells = ["A1", "B2", "C3", "D4", "H12"];

/** p-th percentile (0..100) of values, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Starts the load; it runs until `stop()`. */
export function startLoad(options: LoadOptions): Load {
  const random = createSeededRandom(options.seed);
  const { client, ledger } = options;
  const [minBatch, maxBatch] = options.batchSize ?? [1, 10];
  const [minBatches, maxBatches] = options.batchesPerRun ?? [5, 40];
  const byOutcome: Record<string, number> = {};
  const latenciesMs: number[] = [];
  let requests = 0;
  let acknowledgedBatches = 0;
  let runsCreated = 0;
  let stopped = false;
  let paused = false;
  let inFlight = 0;
  let currentRunId: string | null = null;
  let commandCounter = 0;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const call = async (method: string, path: string, body?: unknown) => {
    inFlight++;
    try {
      const answer = await client.request(method, path, body);
      requests++;
      const key = answer.ok ? String(answer.status) : answer.error;
      byOutcome[key] = (byOutcome[key] ?? 0) + 1;
      if (answer.ok) latenciesMs.push(answer.ms);
      return answer;
    } finally {
      inFlight--;
    }
  };
  const idle = async () => {
    while (paused && !stopped) await sleep(20);
  };

  const command = (runId: string) => {
    const n = ++commandCounter;
    const at = new Date().toISOString();
    const type = random.pick(commandTypes);
    return {
      id: `${runId.slice(0, 8)}-cmd-${n}`, key: `key-${n}-${random.int(0, 1e6)}`, commandType: type, status: "succeeded",
      createdAt: at, startedAt: at, completedAt: at,
      params: { pipetteId: "pipette-left", labwareId: "plate-1", wellName: random.pick(wells), volume: random.int(1, 2000) / 10, flowRate: 92.86, note: random.pick(["", "µL ✓", "Δ 10 °C", "plate 🧪"]) },
      result: { volume: random.int(1, 2000) / 10, position: { x: random.int(0, 40000) / 100, y: random.int(0, 40000) / 100, z: 1.5 } },
    };
  };

  const newRun = async (): Promise<string | null> => {
    const created = await call("POST", "/runs", { data: {} });
    if (!created.ok) return null;
    if (created.status === 409) {
      // A run of ours is still running (its finish was lost in a kill): stop and archive it, then retry.
      const list = await call("GET", "/runs?pageLength=1");
      const current = list.ok ? (list.body as { links?: { current?: { href: string } } }).links?.current?.href.split("/").pop() : undefined;
      if (current) {
        await call("POST", `/runs/${current}/actions`, { data: { actionType: "stop" } });
        await call("PATCH", `/runs/${current}`, { data: { current: false } });
      }
      return null;
    }
    if (created.status !== 201) return null;
    const id = (created.body as { data: { id: string } }).data.id;
    ledger.acknowledgeRun(id);
    runsCreated++;
    const played = await call("POST", `/runs/${id}/actions`, { data: { actionType: "play" } });
    return played.ok && played.status === 201 ? id : null;
  };

  const writer = async () => {
    let batchesLeft = 0;
    while (!stopped) {
      await idle();
      if (stopped) break;
      if (currentRunId === null) {
        currentRunId = await newRun();
        batchesLeft = random.int(minBatches, maxBatches);
        if (currentRunId === null) await sleep(50);
        continue;
      }
      const runId = currentRunId;
      if (batchesLeft-- <= 0) {
        await call("PUT", `/runs/${runId}/summary`, { data: { status: "succeeded", errors: [] } });
        currentRunId = null;
        continue;
      }
      const batch = Array.from({ length: random.int(minBatch, maxBatch) }, () => command(runId));
      const answer = await call("POST", `/runs/${runId}/commands`, { data: batch });
      if (answer.ok && answer.status === 201) {
        ledger.acknowledgeCommands(runId, batch.map((c) => ({ id: c.id, json: JSON.stringify(c) })));
        acknowledgedBatches++;
      } else if (answer.ok && answer.status === 409) {
        currentRunId = null; // interrupted by a restart, or archived: start another
      } else if (!answer.ok) {
        await sleep(50);
      }
      await sleep(options.writeIntervalMs ?? 25);
    }
  };

  const reader = async () => {
    while (!stopped) {
      await idle();
      if (stopped) break;
      const runId = currentRunId;
      const path = random.pick([
        "/runs?pageLength=5", "/health", runId ? `/runs/${runId}/commands?pageLength=20` : "/runs?pageLength=1",
        runId ? `/runs/${runId}` : "/capture/collectors",
      ]);
      const answer = await call("GET", path);
      await sleep(answer.ok ? options.readIntervalMs ?? 20 : 50);
    }
  };

  const loops = [writer(), ...Array.from({ length: options.readers ?? 2 }, reader)];
  const stats = (): LoadStats => ({ requests, byOutcome: { ...byOutcome }, latenciesMs, answered: latenciesMs.length, acknowledgedBatches, runsCreated });
  return {
    stats,
    async pause() {
      paused = true;
      while (inFlight > 0) await sleep(10);
    },
    resume() {
      paused = false;
    },
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return stats();
    },
  };
}
