/**
 * The full-disk phase: a robot app whose data root is a real, small tmpfs. With the load's kind of writes going
 * on, the filesystem is filled to the last byte: writes must fail with a clear 507, reads must still be served,
 * and the database must stay intact across a `kill -9` while full; once space returns, writes are accepted again
 * and every write acknowledged before is still there.
 *
 * @example
 * ```ts
 * const result = await runFullDiskPhase({ token: "t", seed: 4, args: [], log: console.log });
 * if ("skipped" in result) console.log(result.skipped);
 * ```
 */
import { join } from "node:path";
import { createAckLedger } from "./ack_ledger.ts";
import { checkLedger } from "./phase_kill_rounds.ts";
import { createRobotClient } from "./robot_client.ts";
import { createRobotUnderTest } from "./robot_under_test.ts";
import type { Scorecard } from "./scorecard.ts";
import { withSmallFilesystem } from "./small_filesystem.ts";

/** What the phase measured, or why it did not run. */
export type FullDiskResult =
  | { readonly skipped: string }
  | { readonly figures: NonNullable<Scorecard["fullDisk"]>; readonly failures: readonly string[] };

const SIZE_BYTES = 320 << 20;

/** Runs the phase on its own robot process and tmpfs (always unmounted). */
export async function runFullDiskPhase(options: { token: string; seed: number; args: readonly string[]; log: (line: string) => void; writesWhileFull?: number }): Promise<FullDiskResult> {
  const outcome = await withSmallFilesystem({ sizeBytes: SIZE_BYTES }, async (fs) => {
    const failures: string[] = [];
    const ledger = createAckLedger();
    const robot = createRobotUnderTest({ dataRoot: join(fs.dir, "root"), token: options.token, args: [...options.args, "--sync-target", "none"] });
    const client = createRobotClient({ url: () => robot.url(), token: options.token });
    const answeredBy: Record<string, number> = {};
    let readsServed = 0;
    let recovered = false;
    let n = 0;
    const append = async (runId: string) => {
      const command = { id: `disk-${options.seed}-${++n}`, commandType: "aspirate", status: "succeeded", params: { volume: n, pad: "x".repeat(2000) } };
      const answer = await client.request("POST", `/runs/${runId}/commands`, { data: [command] });
      if (answer.ok && answer.status === 201) ledger.acknowledgeCommands(runId, [{ id: command.id, json: JSON.stringify(command) }]);
      return answer;
    };
    try {
      await robot.start();
      const created = await client.request("POST", "/runs", { data: {} });
      if (!created.ok || created.status !== 201) throw new Error(`POST /runs answered ${created.ok ? created.status : created.error}`);
      const runId = (created.body as { data: { id: string } }).data.id;
      ledger.acknowledgeRun(runId);
      await client.request("POST", `/runs/${runId}/actions`, { data: { actionType: "play" } });
      for (let i = 0; i < 20; i++) await append(runId);
      const left = await fs.fill(0);
      options.log(`full disk: ${fs.kind} of ${SIZE_BYTES >> 20} MiB filled (${left} bytes free)`);
      const writes = options.writesWhileFull ?? 40;
      for (let i = 0; i < writes; i++) {
        const answer = await append(runId);
        const key = answer.ok ? String(answer.status) : answer.error;
        answeredBy[key] = (answeredBy[key] ?? 0) + 1;
        const read = await client.request("GET", `/runs/${runId}/commands?pageLength=5`);
        if (read.ok && read.status === 200) readsServed++;
      }
      const not507 = Object.entries(answeredBy).filter(([k]) => k !== "507" && k !== "201");
      if (not507.length > 0) failures.push(`full disk: writes were answered ${not507.map(([k, v]) => `${k} ×${v}`).join(", ")} instead of 507 Insufficient Storage`);
      if (readsServed < writes) failures.push(`full disk: only ${readsServed} of ${writes} reads were served while the disk was full`);
      // A kill -9 while full, then space back: the database must open intact with every acknowledged write.
      await robot.kill();
      await fs.release();
      await robot.start();
      const check = await checkLedger(ledger, client, { onlyUnchecked: false, label: "full disk" });
      failures.push(...check.failures);
      const again = await client.request("POST", "/runs", { data: {} });
      if (again.ok && again.status === 201) {
        const id = (again.body as { data: { id: string } }).data.id;
        ledger.acknowledgeRun(id);
        await client.request("POST", `/runs/${id}/actions`, { data: { actionType: "play" } });
        const after = await append(id);
        recovered = after.ok && after.status === 201;
      }
      if (!recovered) failures.push(`full disk: writes were not accepted again once space returned (POST /runs answered ${again.ok ? again.status : again.error})`);
      const code = await robot.stop();
      if (code !== 0) failures.push(`full disk: the robot app's clean stop exited with ${code}`);
    } finally {
      if (robot.url()) await robot.kill();
    }
    return {
      figures: { filesystem: `${fs.kind} of ${SIZE_BYTES >> 20} MiB mounted by root, filled to 0 bytes free`, writesTried: options.writesWhileFull ?? 40, answeredBy, readsServed, recovered },
      failures,
    };
  });
  if (!outcome.ran) return { skipped: outcome.reason };
  return outcome.value;
}
