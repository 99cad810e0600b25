/**
 * The flaky-network rig: the ingest server (the sync target) behind the fault proxy, which drops, stalls, cuts
 * uploads midway, loses answers and returns 500s on a seeded schedule for the whole of the kill rounds. The robot
 * app syncs to the proxy; if its sync link is still the stand-in that uploads nothing, the campaign starts the
 * sync service itself on the robot's capture directory (and says so). At the end the faults stop, the queue
 * drains, and the target's census goes to the exactly-once check.
 *
 * @example
 * ```ts
 * const network = await startFlakyNetwork({ workDir, token, seed: 9 });
 * // robot flags: network.robotArgs; after the robot is up: await network.attach(robotUrl, captureDir)
 * await network.drain(seenFiles, 60_000);
 * await network.stop();
 * ```
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { startIngestServer } from "@deckhand/ingest";
import { startSyncService, type SyncService } from "@deckhand/sync-service";
import { startFaultProxy, type FaultWeights } from "./fault_proxy.ts";
import type { Scorecard } from "./scorecard.ts";
import { censusTarget, type SeenFile } from "./target_census.ts";

/** The fault mix of the campaign: about a third of requests meet a fault. */
export const campaignFaults: FaultWeights = { drop: 0.06, stall: 0.03, cutRequest: 0.1, cutResponse: 0.06, error500: 0.08 };

/** A running rig. */
export interface FlakyNetwork {
  /** Where the ingest server stores objects (the target directory for the census). */
  readonly targetDir: string;
  /** Flags that point the robot app's sync at the proxy. */
  readonly robotArgs: readonly string[];
  /** After the robot is up: checks that its sync is real; otherwise starts the sync service on `captureDir`. */
  attach(robotUrl: string, captureDir: string): Promise<void>;
  /** Who uploads: the robot's own sync link, or the service the campaign started. */
  uploader(): string;
  /** Faults off, then waits until every seen file is at the target (or `timeoutMs`). */
  drain(seen: () => ReadonlyMap<string, SeenFile>, timeoutMs: number): Promise<void>;
  figures(): NonNullable<Scorecard["network"]>;
  stop(): Promise<void>;
}

/** Starts the ingest server and the proxy in front of it. */
export async function startFlakyNetwork(options: { workDir: string; token: string; seed: number }): Promise<FlakyNetwork> {
  const targetDir = join(options.workDir, "ingest");
  await mkdir(targetDir, { recursive: true });
  let receivedBytes = 0;
  const ingest = await startIngestServer({
    host: "127.0.0.1", port: 0, dir: targetDir, token: options.token, idleTimeoutMs: 5000,
    onRequest: (info) => {
      receivedBytes += info.upload?.receivedBytes ?? 0;
    },
  });
  const proxy = await startFaultProxy({ target: ingest.url, seed: options.seed, weights: campaignFaults, stallMs: 1500 });
  let service: SyncService | undefined;
  let who = "not attached";
  return {
    targetDir,
    robotArgs: ["--sync-target", proxy.url, "--sync-token", options.token],
    async attach(robotUrl, captureDir) {
      if (service) return;
      const status = await fetch(`${robotUrl}/sync/status`).then((r) => r.json() as Promise<{ data: { lastError: string | null } }>);
      if (/stand-in|not wired/i.test(status.data.lastError ?? "")) {
        service = await startSyncService({
          captureDir, failedDir: join(options.workDir, "sync-failed"),
          target: { kind: "http", url: proxy.url, token: options.token }, scanIntervalMs: 250, fileQuietMs: 200,
          backoff: { initialMs: 100, maxMs: 2000 },
        });
        who = "the sync service started by the campaign on the robot's capture directory (apps/robot's sync link is a stand-in)";
      } else {
        who = "the robot app's own sync service";
      }
    },
    uploader: () => who,
    async drain(seen, timeoutMs) {
      proxy.setWeights({});
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const stored = new Set((await censusTarget(targetDir)).map((o) => o.sha256));
        if ([...seen().values()].every((f) => stored.has(f.sha256))) return;
        await service?.syncNow().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    },
    figures() {
      const stats = proxy.stats();
      return { requests: stats.requests, byFault: stats.byFault, bytesForwarded: stats.bytesForwarded, uploadedBytes: receivedBytes, objectBytes: 0, uploader: who };
    },
    async stop() {
      await service?.stop();
      await proxy.close();
      await ingest.close();
    },
  };
}
