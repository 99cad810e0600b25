/**
 * The whole-system fault campaign, and its command line:
 *
 *   node --import tsx tools/campaign/campaign.ts [--short|--long] [--seconds N] [--seed N] [--out docs/RELIABILITY.md]
 *
 * It starts the robot app (child process, temp data root, a token set) capturing at 1 kHz, puts a steady load on
 * it, and runs the phases: kill -9 rounds with restarts, hostile input, full disk, upgrade/downgrade, a soak; then
 * the final checks (every acknowledged write, capture loss window, files at the sync target, change feed) and the
 * scorecard. A phase whose part is missing is skipped with the reason in the scorecard. Exit status 1 when any
 * invariant broke.
 *
 * @example
 * ```ts
 * const scorecard = await runCampaign({ mode: "short", seed: 1, log: console.log });
 * console.log(scorecard.failures);
 * ```
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { openRunStore } from "@deckhand/storage";
import { createAckLedger } from "./ack_ledger.ts";
import { checkCaptureWindow, readCaptureMessages } from "./capture_census.ts";
import { checkChangeFeed } from "./change_feed_check.ts";
import { percentile, startLoad } from "./load_generator.ts";
import { checkLedger, runKillRounds } from "./phase_kill_rounds.ts";
import { startFlakyNetwork, type FlakyNetwork } from "./phase_flaky_network.ts";
import { runFullDiskPhase } from "./phase_full_disk.ts";
import { runHostileInputPhase } from "./phase_hostile_input.ts";
import { runStoredDataPhase } from "./phase_stored_data.ts";
import { runUpgradeDowngradePhase } from "./phase_upgrade_downgrade.ts";
import { judgeFlat, startProcessSampler } from "./process_sampler.ts";
import { createRobotClient } from "./robot_client.ts";
import { createRobotUnderTest } from "./robot_under_test.ts";
import { type PhaseResult, renderScorecard, type Scorecard } from "./scorecard.ts";
import { censusTarget, checkTargetFiles, startFinishedFileWatcher } from "./target_census.ts";

/** How big a campaign is. */
export interface CampaignPlan {
  readonly killRounds: number;
  /** Seeded up-time before each kill, ms. */
  readonly upMs: readonly [number, number];
  readonly soakSeconds: number;
  readonly captureRateHz: number;
  readonly flushMs: number;
  readonly fileAgeMs: number;
  /** Timeout for slow-loris hostile requests, ms. */
  readonly slowLorisMs: number;
  /** The generated v1 root of the upgrade phase. */
  readonly v1Runs: number;
  readonly v1CommandsPerRun: number;
}

/** The short plan (CI, a couple of minutes) and the long one (the published scorecard). */
export const plans: Readonly<Record<"short" | "long", CampaignPlan>> = {
  short: { killRounds: 4, upMs: [1500, 3000], soakSeconds: 15, captureRateHz: 1000, flushMs: 500, fileAgeMs: 2000, slowLorisMs: 3000, v1Runs: 10, v1CommandsPerRun: 600 },
  long: { killRounds: 55, upMs: [2000, 9000], soakSeconds: 600, captureRateHz: 1000, flushMs: 500, fileAgeMs: 5000, slowLorisMs: 15_000, v1Runs: 30, v1CommandsPerRun: 3000 },
};

/** Options of {@link runCampaign}. */
export interface CampaignOptions {
  readonly mode: "short" | "long";
  readonly seed: number;
  /** Overrides the soak length (the campaign's one tunable duration). */
  readonly soakSeconds?: number;
  /** Overrides the number of kill rounds. */
  readonly killRounds?: number;
  readonly log: (line: string) => void;
  /** Keep the work directory (default: removed). */
  readonly keepWorkDir?: boolean;
}

const TOKEN_PREFIX = "campaign-token";
const COLLECTOR = "temp-module";
/** The robot's request-body limit in the campaign (its flag): small, so oversized hostile bodies stay cheap. */
const BODY_LIMIT_BYTES = 4 << 20;

/** Runs the campaign and returns its scorecard (it does not write it: see the CLI). */
export async function runCampaign(options: CampaignOptions): Promise<Scorecard> {
  const plan = {
    ...plans[options.mode],
    ...(options.soakSeconds !== undefined ? { soakSeconds: options.soakSeconds } : {}),
    ...(options.killRounds !== undefined ? { killRounds: options.killRounds } : {}),
  };
  const started = Date.now();
  const log = options.log;
  const work = await mkdtemp(join(tmpdir(), "deckhand-campaign-"));
  const dataRoot = join(work, "root");
  const token = `${TOKEN_PREFIX}-${options.seed}`;
  const phases: PhaseResult[] = [];
  const failures: string[] = [];
  const ledger = createAckLedger();
  const robotArgs = [
    "--capture-rate-hz", String(plan.captureRateHz), "--capture-flush-ms", String(plan.flushMs),
    "--capture-file-age-ms", String(plan.fileAgeMs), "--report-debounce-ms", "2000", "--max-body-bytes", String(BODY_LIMIT_BYTES),
  ];
  let network: FlakyNetwork | undefined;
  let networkSkipped: string | undefined;
  try {
    network = await startFlakyNetwork({ workDir: work, token, seed: options.seed + 4 });
  } catch (error) {
    networkSkipped = `the ingest server or the fault proxy could not start: ${error instanceof Error ? error.message : String(error)}`;
  }
  const robot = createRobotUnderTest({ dataRoot, token, args: [...robotArgs, ...(network?.robotArgs ?? [])] });
  const client = createRobotClient({ url: () => robot.url(), token });
  const phase = async (name: string, body: () => Promise<{ skipped?: string; failures?: readonly string[] } | void>) => {
    const t0 = Date.now();
    log(`== ${name}`);
    try {
      const result = (await body()) ?? {};
      const phaseFailures = result.failures ?? [];
      failures.push(...phaseFailures);
      phases.push({
        name, seconds: (Date.now() - t0) / 1000,
        ...(result.skipped ? { status: "skipped", reason: result.skipped } : phaseFailures.length ? { status: "failed", reason: `${phaseFailures.length} failures (listed below)` } : { status: "passed" }),
      });
    } catch (error) {
      const message = `${name}: the phase itself failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`;
      failures.push(message);
      phases.push({ name, status: "failed", seconds: (Date.now() - t0) / 1000, reason: message.slice(0, 300) });
    }
    log(`== ${name}: ${phases.at(-1)!.status}${phases.at(-1)!.reason ? ` (${phases.at(-1)!.reason})` : ""}`);
  };

  const scorecard: { -readonly [K in keyof Scorecard]?: Scorecard[K] } = {};
  const watcher = startFinishedFileWatcher({ dir: join(dataRoot, "capture"), intervalMs: 100 });
  let load: ReturnType<typeof startLoad> | undefined;
  try {
    await robot.start();
    log(`robot app at ${robot.url()} on ${dataRoot}`);
    await network?.attach(robot.url()!, join(dataRoot, "capture"));
    if (network) log(`sync through the fault proxy by ${network.uploader()}`);
    load = startLoad({ client, ledger, seed: options.seed });

    await phase("kill-rounds", async () => {
      const result = await runKillRounds({ robot, client, ledger, rounds: plan.killRounds, upMs: plan.upMs, seed: options.seed + 1, log });
      scorecard.kills = {
        rounds: result.rounds, acknowledgedRuns: ledger.counts().runs, acknowledgedCommands: ledger.counts().commands,
        commandReads: result.commandReads, writesLost: result.writesLost, writesChanged: result.writesChanged, writesReordered: result.writesReordered,
      };
      return { failures: result.failures };
    });

    await phase("hostile-input", async () => {
      await load!.pause();
      try {
        const result = await runHostileInputPhase({ robot, client, token, seed: options.seed + 2, slowLorisMs: plan.slowLorisMs, workDir: work, log, bodyLimitBytes: BODY_LIMIT_BYTES });
        scorecard.hostile = result.figures;
        return { failures: result.failures };
      } finally {
        load!.resume();
      }
    });

    await phase("soak", async () => {
      // A fresh process, the load alone: memory, descriptors and latency from start to end.
      await load!.pause();
      await robot.stop();
      await robot.start();
      const before = load!.stats();
      load!.resume();
      const sampler = startProcessSampler({ pid: robot.process()!.pid, intervalMs: 1000, metricsUrl: `${robot.url()}/metrics` });
      const t0 = Date.now();
      await new Promise((resolve) => setTimeout(resolve, plan.soakSeconds * 1000));
      const samples = await sampler.stop();
      const seconds = (Date.now() - t0) / 1000;
      const after = load!.stats();
      const latencies = after.latenciesMs.slice(before.answered, after.answered);
      // 409 is the load's first write to its run after the restart (interrupted, so closed): expected.
      const errors = Object.entries(after.byOutcome).reduce((n, [k, v]) => n + (/^(2\d\d|409)$/.test(k) ? 0 : v - (before.byOutcome[k] ?? 0)), 0);
      scorecard.load = {
        requests: after.requests - before.requests, seconds, requestsPerSecond: (after.requests - before.requests) / seconds,
        p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors,
      };
      const verdict = judgeFlat(samples);
      scorecard.soak = {
        seconds, samples: samples.length, start: verdict.start, end: verdict.end, flat: verdict.ok,
        ...(verdict.maxEventLoopDelayMs !== undefined ? { maxEventLoopDelayMs: verdict.maxEventLoopDelayMs } : {}),
      };
      const problems = [...verdict.reasons.map((r) => `soak: ${r}`), ...sampler.errors().map((e) => `soak: sampling failed: ${e}`)];
      if (errors > 0) {
        const during = Object.fromEntries(Object.entries(after.byOutcome).map(([k, v]) => [k, v - (before.byOutcome[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
        problems.push(`soak: ${errors} requests of the steady load failed (no restart during the soak): ${JSON.stringify(during)}`);
      }
      return { failures: problems };
    });

    await phase("final-checks", async () => {
      await load!.stop();
      const problems: string[] = [];
      const full = await checkLedger(ledger, client, { onlyUnchecked: false, label: "final check" });
      problems.push(...full.failures);
      if (scorecard.kills) {
        scorecard.kills = { ...scorecard.kills, acknowledgedRuns: ledger.counts().runs, acknowledgedCommands: ledger.counts().commands, commandReads: scorecard.kills.commandReads + full.reads, writesLost: scorecard.kills.writesLost + full.lost, writesChanged: scorecard.kills.writesChanged + full.changed, writesReordered: scorecard.kills.writesReordered + full.reordered };
      }
      // Faults off: everything finished so far must reach the target.
      await network?.drain(() => watcher.seen(), options.mode === "long" ? 180_000 : 60_000);
      const code = await robot.stop();
      if (code !== 0) problems.push(`final clean stop: the robot app exited with ${code}`);
      // Capture: every session's messages that had to survive, from the files on the robot and at the target.
      const captureDir = join(dataRoot, "capture");
      const targetDir = network?.targetDir ?? join(dataRoot, "uploaded");
      const local = existsSync(captureDir) ? (await readdir(captureDir)).filter((n) => n.endsWith(".mcap")).map((n) => join(captureDir, n)) : [];
      const objects = await censusTarget(targetDir);
      // A file both at the target and still local (uploaded, not yet deleted) is counted once, from the target.
      const stored = new Set(objects.map((o) => o.sha256));
      const seenNow = watcher.seen();
      const localOnly = local.filter((p) => !stored.has(seenNow.get(p.slice(captureDir.length + 1))?.sha256 ?? ""));
      const census = await readCaptureMessages([...localOnly, ...objects.map((o) => join(targetDir, o.path))]);
      const times = census.byCollector.get(COLLECTOR) ?? [];
      let required = 0;
      let lost = 0;
      for (const [i, s] of robot.captureSessions(COLLECTOR).entries()) {
        const r = checkCaptureWindow(s, times, { flushIntervalMs: plan.flushMs });
        required += r.required;
        lost += r.lostBeyondWindow;
        if (r.lostBeyondWindow > 0) problems.push(`capture session ${i + 1} (${s.killed ? "killed" : "stopped"} at ${new Date(s.endedAt).toISOString()}): ${r.lostBeyondWindow} of ${r.required} messages captured before the loss window are missing (${r.found} found)`);
      }
      for (const u of census.unreadable) problems.push(`capture file ${u.path} is not valid MCAP: ${u.reason}`);
      scorecard.capture = { sessions: robot.sessions().length, messagesFound: census.messages, requiredMessages: required, lostBeyondWindow: lost, flushIntervalMs: plan.flushMs, unreadableFiles: census.unreadable.length };
      // Files: every finished file seen on the robot is at the target exactly once, or still on the robot.
      const seen = await watcher.stop();
      const files = checkTargetFiles(seen, objects);
      const stillLocal = new Set(local.map((p) => p.slice(captureDir.length + 1)));
      const lostFiles = files.lost.filter((name) => !stillLocal.has(name));
      for (const name of lostFiles) problems.push(`capture file ${name} was finished, then left the robot without reaching the target`);
      for (const d of files.duplicated) problems.push(`the target holds the same file ${d.paths.length} times: ${d.paths.join(", ")}`);
      for (const w of files.wrongHash) problems.push(`the target's object ${w} does not have the hash it is named by`);
      scorecard.files = { seen: files.expected, exactlyOnce: files.exactlyOnce, pendingOnRobot: files.lost.length - lostFiles.length, lost: lostFiles.length, duplicated: files.duplicated.length, wrongHash: files.wrongHash.length };
      if (network) scorecard.network = { ...network.figures(), objectBytes: objects.reduce((n, o) => n + o.size, 0) };
      // The change feed, read from the store itself now that the robot is stopped.
      const store = await openRunStore({ url: `file:${join(dataRoot, "v2", "runs.db")}` });
      try {
        const entries = [];
        for (let since = 0; ;) {
          const page = await store.changes(since, { limit: 1000 });
          entries.push(...page);
          if (page.length < 1000) break;
          since = page.at(-1)!.seq;
        }
        const feed = checkChangeFeed(entries, ledger.runs().map((r) => r.runId));
        scorecard.changeFeed = { entries: feed.entries, gaps: feed.gaps.length, runsWithoutEntry: feed.runsWithoutEntry.length };
        for (const g of feed.gaps) problems.push(`change feed gap: after seq ${g.after} comes ${g.next}`);
        for (const id of feed.runsWithoutEntry) problems.push(`acknowledged run ${id} has no created entry in the change feed`);
      } finally {
        await store.close();
      }
      return { failures: problems };
    });

    await phase("full-disk", async () => {
      const result = await runFullDiskPhase({ token, seed: options.seed + 3, args: robotArgs, log });
      if ("skipped" in result) return { skipped: result.skipped };
      scorecard.fullDisk = result.figures;
      return { failures: result.failures };
    });

    await phase("stored-data", async () => {
      const result = await runStoredDataPhase({ workDir: work, token, args: robotArgs, log });
      scorecard.storedData = result.figures;
      return { failures: result.failures };
    });

    await phase("flaky-network", async () => {
      if (!network) return { skipped: networkSkipped ?? "not started" };
      // The files' checks ran in final-checks (its failures are listed there); this phase records the traffic.
      const stats = network.figures();
      if (stats.requests === 0) return { failures: ["flaky network: no upload request went through the proxy during the campaign"] };
      return {};
    });
    await phase("upgrade-downgrade", async () => {
      const result = await runUpgradeDowngradePhase({ workDir: work, token, runs: plan.v1Runs, commandsPerRun: plan.v1CommandsPerRun, seed: options.seed + 5, log });
      scorecard.upgrade = result.figures;
      return { failures: result.failures };
    });
  } finally {
    await load?.stop();
    await watcher.stop();
    if (robot.url()) await robot.kill();
    await network?.stop();
    if (!options.keepWorkDir) await rm(work, { recursive: true, force: true });
  }
  return {
    mode: options.mode, seed: options.seed, startedAt: new Date(started).toISOString(), seconds: (Date.now() - started) / 1000,
    environment: `${process.platform} ${process.arch}, ${cpus().length} cores (shared), Node ${process.versions.node}, loopback only`,
    phases, failures, ...scorecard,
  } as Scorecard;
}

/** The command line's help. */
export const campaignUsage: string = `usage: deckhand campaign [--short|--long] [--seconds N] [--rounds N] [--seed N] [--out FILE] [--keep]

  --short      about two minutes: ${plans.short.killRounds} kill rounds, a ${plans.short.soakSeconds} s soak (the default; CI runs it as a test)
  --long       the published scorecard: ${plans.long.killRounds} kill rounds, a ${plans.long.soakSeconds} s soak
  --seconds N  soak length in seconds
  --rounds N   kill -9 rounds
  --seed N     replay a campaign (default: random, printed in the scorecard)
  --out FILE   where the scorecard goes (default docs/RELIABILITY.md)
  --keep       keep the campaign's work directory
`;

/**
 * Runs the campaign from command-line arguments, writes the scorecard, prints the failures; returns the exit
 * code (0 passed, 1 an invariant broke, 2 usage).
 */
export async function campaignMain(argv: readonly string[], out: { write(text: string): unknown }): Promise<number> {
  const known = new Set(["--short", "--long", "--seconds", "--rounds", "--seed", "--out", "--keep", "--help"]);
  for (const arg of argv) {
    if (arg.startsWith("--") && !known.has(arg)) {
      out.write(`deckhand campaign: unknown option ${arg}\n\n${campaignUsage}`);
      return 2;
    }
  }
  if (argv.includes("--help")) {
    out.write(campaignUsage);
    return 0;
  }
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const numbers = ["--seconds", "--rounds", "--seed"].map((name) => [name, flag(name)] as const);
  for (const [name, value] of numbers) {
    if (argv.includes(name) && !(value !== undefined && /^\d+$/.test(value))) {
      out.write(`deckhand campaign: ${name} takes a whole number\n\n${campaignUsage}`);
      return 2;
    }
  }
  const mode = argv.includes("--long") ? "long" : "short";
  const seed = Number(flag("--seed") ?? Math.floor(Math.random() * 1e6));
  const seconds = flag("--seconds");
  const rounds = flag("--rounds");
  const file = flag("--out") ?? fileURLToPath(new URL("../../docs/RELIABILITY.md", import.meta.url));
  const scorecard = await runCampaign({
    mode, seed, log: (line) => out.write(`[campaign ${new Date().toISOString().slice(11, 19)}] ${line}\n`), keepWorkDir: argv.includes("--keep"),
    ...(seconds !== undefined ? { soakSeconds: Number(seconds) } : {}),
    ...(rounds !== undefined ? { killRounds: Number(rounds) } : {}),
  });
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, renderScorecard(scorecard));
  out.write(`[campaign] scorecard written to ${file}\n`);
  for (const f of scorecard.failures) out.write(`[campaign] FAILURE ${f}\n`);
  return scorecard.failures.length === 0 && scorecard.phases.every((p) => p.status !== "failed") ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  campaignMain(process.argv.slice(2), process.stdout).then((code) => process.exit(code), (error: unknown) => {
    console.error(error);
    process.exit(2);
  });
}
