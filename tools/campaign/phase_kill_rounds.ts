/**
 * The kill -9 phase: under the steady load, the robot app is killed at seeded random moments and restarted on
 * the same data root; after each restart every write acknowledged since the last check (and a sample of older
 * ones) must be present and byte-equal.
 *
 * @example
 * ```ts
 * const result = await runKillRounds({ robot, client, ledger, rounds: 50, upMs: [2000, 8000], seed: 1, log });
 * ```
 */
import { type AckLedger, checkAcknowledgedWrites } from "./ack_ledger.ts";
import { httpAckReader, type RobotClient } from "./robot_client.ts";
import type { RobotUnderTest } from "./robot_under_test.ts";
import { createSeededRandom } from "./seeded_random.ts";

/** What the kill rounds found. */
export interface KillRoundsResult {
  readonly rounds: number;
  readonly commandReads: number;
  readonly writesLost: number;
  readonly writesChanged: number;
  /** Commands served with their keys in another order (same values). */
  readonly writesReordered: number;
  readonly failures: readonly string[];
}

/** Checks acknowledged writes, retrying a check that failed on a connection (never counting it as a loss). */
export async function checkLedger(
  ledger: AckLedger, client: RobotClient, options: { onlyUnchecked: boolean; label: string },
): Promise<{ reads: number; lost: number; changed: number; reordered: number; failures: string[] }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const report = await checkAcknowledgedWrites(ledger, httpAckReader(client), { onlyUnchecked: options.onlyUnchecked, sampleOld: 2, concurrency: 8 });
      const failures = [
        ...report.missingRuns.map((id) => `${options.label}: acknowledged run ${id} missing (GET /runs/${id} not 200)`),
        ...report.missingCommands.map((c) => `${options.label}: acknowledged command ${c.commandId} of run ${c.runId} missing`),
        ...report.changedCommands.filter((c) => !c.reorderedOnly).map((c) => `${options.label}: command ${c.commandId} of run ${c.runId} changed: sent ${c.sent.slice(0, 300)} served ${c.served.slice(0, 300)}`),
      ];
      const reordered = report.changedCommands.filter((c) => c.reorderedOnly);
      if (reordered.length > 0) {
        const example = reordered[0]!;
        failures.push(`${options.label}: ${reordered.length} acknowledged commands are served with the same values but their keys in another order (not byte-equal), e.g. sent ${example.sent.slice(0, 120)}... served ${example.served.slice(0, 120)}...`);
      }
      return { reads: report.checkedCommands, lost: report.missingRuns.length + report.missingCommands.length, changed: report.changedCommands.length - reordered.length, reordered: reordered.length, failures };
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new Error(`${options.label}: the acknowledged-writes check could not read the robot: ${String(lastError)}`);
}

/** Runs `rounds` kill -9 rounds; the robot must be running, and is running again when this resolves. */
export async function runKillRounds(options: {
  robot: RobotUnderTest;
  client: RobotClient;
  ledger: AckLedger;
  rounds: number;
  upMs: readonly [number, number];
  seed: number;
  log: (line: string) => void;
  /** Called after each restart (e.g. to let other phases' checks run). */
  afterRestart?: (round: number) => Promise<void>;
}): Promise<KillRoundsResult> {
  const random = createSeededRandom(options.seed);
  const failures: string[] = [];
  let commandReads = 0;
  let writesLost = 0;
  let writesChanged = 0;
  let writesReordered = 0;
  for (let round = 1; round <= options.rounds; round++) {
    const upFor = random.int(options.upMs[0], options.upMs[1]);
    await new Promise((resolve) => setTimeout(resolve, upFor));
    const before = options.ledger.counts();
    await options.robot.kill();
    await options.robot.start();
    const check = await checkLedger(options.ledger, options.client, { onlyUnchecked: true, label: `round ${round}` });
    commandReads += check.reads;
    writesLost += check.lost;
    writesChanged += check.changed;
    writesReordered += check.reordered;
    failures.push(...check.failures);
    options.log(`round ${round}/${options.rounds}: killed after ${upFor} ms with ${before.runs} runs / ${before.commands} commands acknowledged; ${check.reads} command reads; lost ${check.lost}, changed ${check.changed}, reordered ${check.reordered}`);
    await options.afterRestart?.(round);
  }
  return { rounds: options.rounds, commandReads, writesLost, writesChanged, writesReordered, failures };
}
