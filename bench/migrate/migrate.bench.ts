/**
 * @deckhand/migrate's v1 -> v2 migration, end to end (read v1, decode in workers, write the run store, count
 * back, integrity and foreign-key checks, fsync, marker, rename), on a v1 root whose commands are sampled from
 * the real Opentrons analyses (about 480 bytes of JSON each):
 * - full: 20 runs x 10,000 commands; quick: 4 runs x 2,000 commands;
 * - contenders: the migration with 1 worker and with every core;
 * - baseline: `appendCommands` of the same commands (already decoded) into an empty store, one run at a time
 *   (createRun + appendCommands + close), i.e. the raw write rate the migration's writer cannot beat.
 * Goal (issue 15, full mode): >= 0.5x the raw append rate. Metrics: wall time of one whole migration with 1 worker and with
 * every core, their ratio, and (full mode only) 100 runs x 10,000 commands.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { migrateDataRoot, robotMigrations, writeV1Fixture } from "@deckhand/migrate";
import { openRunStore, type RunCommand } from "@deckhand/storage";
import { createClient } from "@libsql/client";
import { type BenchGroup, type BenchMetric, defineSuite } from "../harness.ts";

const fixtures = new URL("../../fixtures/opentrons/", import.meta.url);
const cores = Math.max(1, availableParallelism());

async function sampleCommands(): Promise<Record<string, unknown>[]> {
  const commands: Record<string, unknown>[] = [];
  for (const name of (await readdir(fixtures)).filter((n) => n.startsWith("analysis-") && n.endsWith(".json")).sort()) {
    commands.push(...(JSON.parse(await readFile(new URL(name, fixtures), "utf8")) as { commands: Record<string, unknown>[] }).commands);
  }
  return commands;
}

/** A v1 root of `runs` x `commandsPerRun` (no bad rows) and the same commands decoded, per run. */
async function v1Root(dir: string, runs: number, commandsPerRun: number): Promise<{ root: string; commands: RunCommand[][] }> {
  const root = join(dir, `v1-${runs}x${commandsPerRun}`);
  await writeV1Fixture({ root, runs, commandsPerRun, corrupt: 0, seed: 7, sampleCommands: await sampleCommands() });
  // The same commands, for the baseline: what the migration's writer receives.
  const { decode } = await import("@msgpack/msgpack");
  const client = createClient({ url: `file:${join(root, "v1", "robot.db")}` });
  try {
    const rows = (await client.execute("SELECT blob FROM run ORDER BY rowid")).rows;
    return { root, commands: rows.map((row) => (decode(new Uint8Array(row[0] as ArrayBuffer)) as { commands: RunCommand[] }).commands) };
  } finally {
    client.close();
  }
}

async function migrateOnce(root: string, workers: number): Promise<number> {
  await rm(join(root, "v2"), { recursive: true, force: true });
  const started = performance.now();
  await migrateDataRoot({ root, target: 2, migrations: robotMigrations, workers });
  return performance.now() - started;
}

let scratch: string | undefined;
async function scratchDir(): Promise<string> {
  scratch ??= await mkdtemp(join(tmpdir(), "deckhand-bench-migrate-"));
  return scratch;
}

export default defineSuite({
  name: "migrate",
  groups: async ({ quick }) => {
    const runs = quick ? 4 : 20;
    const perRun = quick ? 2_000 : 10_000;
    const total = runs * perRun;
    const dir = await scratchDir();
    const { root, commands } = await v1Root(dir, runs, perRun);
    let n = 0;
    const per = { unit: "commands", unitsPerOp: total } as const;
    const group: BenchGroup = {
      // Quick mode is a smoke run: at 8,000 commands the fixed costs (starting the workers, fsyncs, the integrity
      // check) dominate, so its ratios guard against regressions only; the goal is measured in full mode.
      name: `v1 -> v2, ${runs} runs x ${perRun.toLocaleString("en")} commands${quick ? " (fixed costs dominate; goal in full mode)" : ""}`,
      baseline: {
        name: "appendCommands into an empty store",
        fn: async () => {
          const path = join(dir, `append-${n++}.db`);
          const store = await openRunStore({ url: `file:${path}` });
          for (const [i, list] of commands.entries()) {
            await store.createRun({ id: `run-${i}` });
            await store.appendCommands(`run-${i}`, list);
          }
          await store.close();
          for (const suffix of ["", "-wal", "-shm"]) await rm(path + suffix, { force: true });
        },
        ...per,
      },
      tasks: [
        {
          name: "migrate, 1 worker",
          beforeEach: async () => void (await rm(join(root, "v2"), { recursive: true, force: true })),
          fn: async () => void (await migrateDataRoot({ root, target: 2, migrations: robotMigrations, workers: 1 })),
          ...per,
        },
        {
          name: `migrate, ${cores} workers (all cores)`,
          beforeEach: async () => void (await rm(join(root, "v2"), { recursive: true, force: true })),
          fn: async () => void (await migrateDataRoot({ root, target: 2, migrations: robotMigrations, workers: cores })),
          ...per,
        },
      ],
      goals: quick ? {} : { [`migrate, ${cores} workers (all cores)`]: { min: 0.5 }, "migrate, 1 worker": { min: 0.5 } },
    };
    return [group];
  },
  metrics: async ({ quick }) => {
    const dir = await scratchDir();
    try {
      const runs = quick ? 4 : 20;
      const perRun = quick ? 2_000 : 10_000;
      const { root } = await v1Root(join(dir, "metrics"), runs, perRun).catch(async () => ({ root: join(dir, "metrics", `v1-${runs}x${perRun}`) }));
      const one = Math.min(await migrateOnce(root, 1), await migrateOnce(root, 1));
      const all = Math.min(await migrateOnce(root, cores), await migrateOnce(root, cores));
      const label = `${runs} x ${perRun.toLocaleString("en")}`;
      const metrics: BenchMetric[] = [
        { name: `whole migration ${label}, 1 worker`, value: one / 1000, unit: "s", note: "best of two" },
        { name: `whole migration ${label}, ${cores} workers`, value: all / 1000, unit: "s", note: quick ? "best of two" : "best of two; goal under 3 s" },
        { name: `${cores} workers over 1 worker (speed-up)`, value: one / all, unit: "x" },
      ];
      if (!quick) {
        const big = await v1Root(join(dir, "big"), 100, 10_000);
        const ms = await migrateOnce(big.root, cores);
        metrics.push({ name: `whole migration 100 x 10,000, ${cores} workers`, value: ms / 1000, unit: "s", note: `${Math.round(1_000_000 / (ms / 1000))} commands/s` });
      }
      return metrics;
    } finally {
      await rm(dir, { recursive: true, force: true });
      scratch = undefined;
    }
  },
});
