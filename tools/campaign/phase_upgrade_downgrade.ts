/**
 * The upgrade and downgrade phase: a generated v1 data root (real Opentrons commands, a share of bad rows of every
 * kind) is booted by the robot app, which migrates it; the app is `kill -9`ed while `/health` reports the
 * migration under way, then booted again: every v1 run must be served (bad ones as bad runs), and the v1
 * directory must be byte-for-byte what it was, found again by the previous data version's code path
 * (`migrateDataRoot` asked for version 1, as an older robot app asks).
 *
 * @example
 * ```ts
 * const result = await runUpgradeDowngradePhase({ workDir, token: "t", runs: 30, commandsPerRun: 2000, seed: 5, log });
 * ```
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { COMPLETE_MARKER, migrateDataRoot, robotMigrations, writeV1Fixture } from "@deckhand/migrate";
import { createRobotClient } from "./robot_client.ts";
import { startRobotProcess } from "./robot_process.ts";
import type { Scorecard } from "./scorecard.ts";

const fixtures = new URL("../../fixtures/opentrons/", import.meta.url);

/** A hash of every file under `dir` (paths and bytes), to tell "untouched" from "changed". */
export async function hashTree(dir: string): Promise<string> {
  const hash = createHash("sha256");
  const walk = async (relative: string) => {
    const entries = (await readdir(join(dir, relative), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) hash.update(path).update("\0").update(await readFile(join(dir, path))).update("\0");
    }
  };
  await walk("");
  return hash.digest("hex");
}

async function sampleCommands(): Promise<Record<string, unknown>[]> {
  const doc = JSON.parse(await readFile(new URL("analysis-thermocycler-error.json", fixtures), "utf8")) as { commands: Record<string, unknown>[] };
  return doc.commands;
}

/** Runs the phase in `workDir/upgrade-root`. */
export async function runUpgradeDowngradePhase(options: {
  workDir: string;
  token: string;
  runs: number;
  commandsPerRun: number;
  seed: number;
  log: (line: string) => void;
}): Promise<{ figures: NonNullable<Scorecard["upgrade"]>; failures: string[] }> {
  const failures: string[] = [];
  const root = join(options.workDir, "upgrade-root");
  const report = await writeV1Fixture({ root, runs: options.runs, commandsPerRun: options.commandsPerRun, corrupt: 0.1, seed: options.seed, sampleCommands: await sampleCommands() });
  const v1Before = await hashTree(join(root, "v1"));
  options.log(`upgrade: wrote a v1 root with ${report.runs} runs, ${report.commands} commands`);

  // First boot: kill -9 as soon as /health shows the migration under way.
  let killedMidMigration = false;
  let lastProgress = "";
  const first = await startRobotProcess({ dataRoot: root, token: options.token, waitReady: false, extraArgs: ["--sync-target", "none"] });
  try {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const health = await fetch(`${first.url}/health`, { signal: AbortSignal.timeout(5000) }).then(async (r) => ({ status: r.status, body: await r.text() }), () => null);
      if (health?.status === 200) break;
      if (health?.status === 503 && /"migration"/.test(health.body)) {
        lastProgress = health.body;
        const progress = (JSON.parse(health.body) as { migration?: { done: number; total: number } }).migration;
        if (progress && progress.done > 0 && progress.done < progress.total) {
          killedMidMigration = true;
          break;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await first.kill();
  }
  options.log(`upgrade: first boot killed ${killedMidMigration ? `mid-migration (${lastProgress.slice(0, 160)})` : "after the migration had finished (too fast to catch)"}`);
  if ((await hashTree(join(root, "v1"))) !== v1Before) failures.push("upgrade: the v1 directory changed during the killed migration");

  // Second boot: the migration runs again from v1 and completes.
  const second = await startRobotProcess({ dataRoot: root, token: options.token, timeoutMs: 300_000, extraArgs: ["--sync-target", "none"] });
  let runsAfter = 0;
  let quarantined = 0;
  try {
    const client = createRobotClient({ url: () => second.url, token: options.token });
    const health = await client.request("GET", "/health");
    const body = health.ok ? (health.body as { migratedFrom?: number | null; quarantined?: number }) : {};
    quarantined = body.quarantined ?? 0;
    // The migration ran in the second boot (migratedFrom 1), or the first finished it just before the kill landed:
    // either way the complete v2 must say it came from v1.
    const marker = JSON.parse(await readFile(join(root, "v2", COMPLETE_MARKER), "utf8")) as { migratedFrom?: unknown };
    if (marker.migratedFrom !== 1) failures.push(`upgrade: the complete v2 directory's marker says migratedFrom ${JSON.stringify(marker.migratedFrom)}, not 1`);
    if (body.migratedFrom !== 1) options.log(`upgrade: the second boot found v2 already complete (the first boot finished just before its kill)`);
    const runs = await client.request("GET", "/runs");
    if (!runs.ok || runs.status !== 200) throw new Error(`GET /runs after the migration answered ${runs.ok ? runs.status : runs.error}`);
    const listed = (runs.body as { data: { id: string; dataError?: unknown }[] }).data;
    runsAfter = listed.length;
    if (runsAfter !== report.runs) failures.push(`upgrade: ${report.runs} v1 runs, ${runsAfter} served after the migration`);
    const bad = new Set(Object.values(report.corrupt).flat());
    for (const id of bad) {
      const run = listed.find((r) => r.id === id);
      if (!run) failures.push(`upgrade: bad v1 row ${id} is not listed (it must be a bad run, not dropped)`);
    }
    const code = await second.stop();
    if (code !== 0) failures.push(`upgrade: the migrated robot app's clean stop exited with ${code}`);
  } finally {
    await second.kill();
  }

  // Downgrade: the previous version's code path asks for v1 and must find it, untouched.
  const older = await migrateDataRoot({ root, target: 1, migrations: robotMigrations });
  const downgradeFound = older.dir === join(root, "v1") && (await hashTree(older.dir)) === v1Before;
  if (!downgradeFound) failures.push(`downgrade: asked for version 1, got ${older.dir}${older.dir === join(root, "v1") ? " with changed contents" : ""}`);
  return { figures: { v1Runs: report.runs, killedMidMigration, runsAfter, quarantined, downgradeFound }, failures };
}
