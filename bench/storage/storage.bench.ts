/**
 * @deckhand/storage's hot paths on real libSQL files (WAL, synchronous=NORMAL), each against a baseline in the
 * same run:
 * - append 1M commands (quick: 50k) shaped and sized like real ones (the commands of the Opentrons fixture
 *   analyses, cycled, with unique ids; their mean JSON size is in the group name) with `appendCommands`
 *   (the input contract's checks, multi-row inserts of 1,000 commands, row counts verified, one
 *   transaction) against the fastest SQLite path in Node, `better-sqlite3` with a prepared insert in one
 *   transaction, given the same command objects (so it stringifies them too; goal >= 0.7x); the `libsql`
 *   engine the same way, and the naive loop (one awaited `@libsql/client` `execute` per row, each its own
 *   transaction, on fewer rows) are reference rows;
 * - the same commands appended 100 per call (a run as it executes) against `better-sqlite3` committing 100 per
 *   transaction (goal >= 0.4x);
 * - a page of 100 commands from a 10,000-command run (middle page and the default last page) against the raw
 *   engine selecting the same 100 rows and parsing them;
 * - `getAnalysisDocument` of a 1.8 MB real analysis (raw text) against `getAnalysis` + `JSON.stringify`
 *   (parse, validate and re-serialise, what a server without the fast path does);
 * - `listRuns` over 1,000 runs of which 5% are bad (corrupt or future-version summaries) against the raw engine
 *   selecting the same rows.
 * Every task opens fresh databases in a temp dir; the group teardown closes and removes them.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openRunStore, type RunCommand, type RunStore } from "@deckhand/storage";
import { type Client, createClient } from "@libsql/client";
import BetterSqlite3 from "better-sqlite3";
import Database from "libsql";
import { type BenchGroup, defineSuite } from "../harness.ts";

const fixtures = new URL("../../fixtures/opentrons/", import.meta.url);

type Engine = InstanceType<typeof Database>;
type Better = InstanceType<typeof BetterSqlite3>;

function openBetter(path: string): Better {
  const db = new BetterSqlite3(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  return db;
}

function openEngine(path: string): Engine {
  const db = new Database(path);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  return db;
}

/** Every command of the fixture analyses, in order: real shapes and sizes. */
async function fixtureCommands(): Promise<RunCommand[]> {
  const names = ["analysis-normalize-long-right.json", "analysis-zymo-ot2.json", "analysis-sigdx-part2.json", "analysis-partial-column-mixed-tipracks.json", "analysis-e2e-modules-ot2.json", "analysis-thermocycler-error.json"];
  const all: RunCommand[] = [];
  for (const name of names) {
    const analysis = JSON.parse(await readFile(new URL(name, fixtures), "utf8")) as { commands: RunCommand[] };
    all.push(...analysis.commands);
  }
  return all;
}

/** `count` fixture commands, cycled, each with a unique id (the snapshots reuse ids). */
function realisticCommands(pool: readonly RunCommand[], count: number, prefix = "c"): RunCommand[] {
  return Array.from({ length: count }, (_, i) => ({ ...pool[i % pool.length]!, id: `${prefix}${i}-${pool[i % pool.length]!.id}` }));
}

function meanJsonBytes(commands: readonly RunCommand[]): number {
  let bytes = 0;
  for (const command of commands) bytes += Buffer.byteLength(JSON.stringify(command), "utf8");
  return bytes / commands.length;
}

function smallCommands(count: number): RunCommand[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `cmd-${i}`,
    commandType: "aspirate",
    status: "succeeded",
    params: { pipetteId: "p1", volume: i % 200 },
  }));
}

/** A fresh store file with one empty run "bench", for one measured append. */
class FreshDatabases {
  #dir: string;
  #n = 0;
  #store: RunStore | undefined;
  #engine: Engine | undefined;
  #better: Better | undefined;
  #client: Client | undefined;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  static async create(): Promise<FreshDatabases> {
    return new FreshDatabases(await mkdtemp(join(tmpdir(), "deckhand-bench-")));
  }

  async #reset(): Promise<string> {
    await this.#store?.close();
    this.#engine?.close();
    this.#better?.close();
    this.#client?.close();
    this.#store = undefined;
    this.#engine = undefined;
    this.#better = undefined;
    this.#client = undefined;
    const previous = join(this.#dir, `db-${this.#n}.db`);
    for (const suffix of ["", "-wal", "-shm"]) await rm(previous + suffix, { force: true });
    this.#n++;
    return join(this.#dir, `db-${this.#n}.db`);
  }

  /** A store with an empty run "bench". */
  async store(): Promise<RunStore> {
    const path = await this.#reset();
    this.#store = await openRunStore({ url: `file:${path}`, durability: "process" });
    await this.#store.createRun({ id: "bench" });
    return this.#store;
  }

  /** A fresh file with the store's schema and an empty run "bench"; returns its path. */
  async #emptyRun(): Promise<string> {
    const path = await this.#reset();
    const store = await openRunStore({ url: `file:${path}`, durability: "process" });
    await store.createRun({ id: "bench" });
    await store.close();
    return path;
  }

  /** The same schema (made by the store) with an empty run "bench", opened through the raw engine. */
  async engine(): Promise<Engine> {
    this.#engine = openEngine(await this.#emptyRun());
    return this.#engine;
  }

  /** The same schema with an empty run "bench", opened through better-sqlite3. */
  async better(): Promise<Better> {
    this.#better = openBetter(await this.#emptyRun());
    return this.#better;
  }

  /** The same schema with an empty run "bench", opened through `@libsql/client` as an application would. */
  async client(): Promise<Client> {
    const path = await this.#emptyRun();
    this.#client = createClient({ url: `file:${path}` });
    await this.#client.execute("PRAGMA synchronous=NORMAL");
    return this.#client;
  }

  async dispose(): Promise<void> {
    await this.#reset();
    await rm(this.#dir, { recursive: true, force: true });
  }
}

const INSERT = "INSERT INTO commands (run_id, idx, command_id, version, doc) VALUES (?, ?, ?, ?, ?)";

async function appendGroup(quick: boolean, pool: readonly RunCommand[]): Promise<BenchGroup> {
  const count = quick ? 50_000 : 1_000_000;
  const naiveCount = quick ? 5_000 : 20_000;
  const commands = realisticCommands(pool, count);
  const fresh = await FreshDatabases.create();
  let store: RunStore | undefined;
  let engine: Engine | undefined;
  let better: Better | undefined;
  let client: Client | undefined;
  const per = { unit: "commands" } as const;
  return {
    name: `append ${quick ? "50k" : "1M"} fixture commands (mean ${meanJsonBytes(commands).toFixed(0)} B)`,
    baseline: {
      name: "better-sqlite3: prepared insert, one transaction",
      beforeEach: async () => {
        better = await fresh.better();
      },
      // async only because its beforeEach is: tinybench runs a sync task's hooks synchronously.
      fn: async () => {
        const db = better!;
        const statement = db.prepare(INSERT);
        db.exec("BEGIN IMMEDIATE");
        for (let i = 0; i < count; i++) {
          const command = commands[i]!;
          statement.run("bench", i, command.id, 1, JSON.stringify(command));
        }
        db.exec("COMMIT");
      },
      unitsPerOp: count,
      ...per,
    },
    tasks: [
      {
        name: "appendCommands",
        beforeEach: async () => {
          store = await fresh.store();
        },
        fn: async () => await store!.appendCommands("bench", commands),
        unitsPerOp: count,
        ...per,
      },
      {
        name: "libsql engine: prepared insert, one transaction (reference)",
        beforeEach: async () => {
          engine = await fresh.engine();
        },
        fn: async () => {
          const db = engine!;
          const statement = db.prepare(INSERT);
          db.exec("BEGIN IMMEDIATE");
          for (let i = 0; i < count; i++) {
            const command = commands[i]!;
            statement.run("bench", i, command.id, 1, JSON.stringify(command));
          }
          db.exec("COMMIT");
        },
        unitsPerOp: count,
        ...per,
      },
      {
        name: `naive per-row client.execute loop, ${naiveCount / 1000}k rows (reference)`,
        beforeEach: async () => {
          client = await fresh.client();
        },
        fn: async () => {
          for (let i = 0; i < naiveCount; i++) {
            const command = commands[i]!;
            await client!.execute({ sql: INSERT, args: ["bench", i, command.id, 1, JSON.stringify(command)] });
          }
        },
        unitsPerOp: naiveCount,
        ...per,
      },
    ],
    goals: { appendCommands: { min: 0.7 } },
    teardown: () => fresh.dispose(),
  };
}

async function batchesGroup(quick: boolean, pool: readonly RunCommand[]): Promise<BenchGroup> {
  const count = quick ? 5_000 : 50_000;
  const size = 100;
  const commands = realisticCommands(pool, count);
  const batches = Array.from({ length: count / size }, (_, i) => commands.slice(i * size, (i + 1) * size));
  const fresh = await FreshDatabases.create();
  let store: RunStore | undefined;
  let better: Better | undefined;
  const per = { unitsPerOp: count, unit: "commands" } as const;
  return {
    name: `append ${count / 1000}k fixture commands in batches of ${size}`,
    baseline: {
      name: `better-sqlite3: prepared insert, one transaction per ${size}`,
      beforeEach: async () => {
        better = await fresh.better();
      },
      fn: async () => {
        const db = better!;
        const statement = db.prepare(INSERT);
        let index = 0;
        for (const batch of batches) {
          db.exec("BEGIN IMMEDIATE");
          for (const command of batch) statement.run("bench", index++, command.id, 1, JSON.stringify(command));
          db.exec("COMMIT");
        }
      },
      ...per,
    },
    tasks: [
      {
        name: `appendCommands, ${size} per call`,
        beforeEach: async () => {
          store = await fresh.store();
        },
        fn: async () => {
          for (const batch of batches) await store!.appendCommands("bench", batch);
        },
        ...per,
      },
    ],
    goals: { [`appendCommands, ${size} per call`]: { min: 0.4 } },
    teardown: () => fresh.dispose(),
  };
}

async function pageGroup(dir: string): Promise<BenchGroup> {
  const path = join(dir, "pages.db");
  const store = await openRunStore({ url: `file:${path}` });
  await store.createRun({ id: "r10k" });
  await store.appendCommands("r10k", smallCommands(10_000));
  const engine = openEngine(path);
  const select = engine.prepare(
    "SELECT idx, command_id, version, doc FROM commands WHERE run_id = ? AND idx >= ? AND idx < ? ORDER BY idx",
  );
  const per = { unitsPerOp: 100, unit: "commands" } as const;
  return {
    name: "page of 100 commands from a 10,000-command run",
    baseline: {
      name: "libsql engine: select 100 rows + JSON.parse",
      fn: () => (select.all("r10k", 5000, 5100) as { doc: string }[]).map((row) => JSON.parse(row.doc) as unknown),
      ...per,
    },
    tasks: [
      { name: "listCommands (cursor 5000)", fn: async () => await store.listCommands("r10k", { cursor: 5000, pageLength: 100 }), ...per },
      { name: "listCommands (last page, no cursor)", fn: async () => await store.listCommands("r10k", { pageLength: 100 }), ...per },
    ],
    teardown: async () => {
      engine.close();
      await store.close();
    },
  };
}

async function analysisGroup(dir: string): Promise<BenchGroup> {
  const text = await readFile(new URL("analysis-zymo-ot2.json", fixtures), "utf8");
  const mb = Buffer.byteLength(text, "utf8") / 1e6;
  const store = await openRunStore({ url: `file:${join(dir, "analyses.db")}` });
  await store.createProtocol({ id: "p", metadata: {}, files: [] });
  const { id } = await store.addAnalysis({ protocolId: "p", document: text });
  const per = { unitsPerOp: mb, unit: "MB" } as const;
  return {
    name: `serve a ${mb.toFixed(1)} MB analysis`,
    baseline: {
      name: "getAnalysis + JSON.stringify (parse, validate, stringify)",
      fn: async () => {
        const analysis = await store.getAnalysis(id);
        if (analysis.kind !== "ok") throw new Error("the analysis did not decode");
        return JSON.stringify(analysis.document);
      },
      ...per,
    },
    tasks: [{ name: "getAnalysisDocument (raw)", fn: async () => await store.getAnalysisDocument(id), ...per }],
    teardown: () => store.close(),
  };
}

async function listRunsGroup(dir: string): Promise<BenchGroup> {
  const path = join(dir, "runs.db");
  const store = await openRunStore({ url: `file:${path}` });
  for (let i = 0; i < 1000; i++) {
    const id = `run-${String(i).padStart(4, "0")}`;
    await store.createRun({ id, createdAt: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString() });
    await store.addRunAction(id, { actionType: "play" });
    await store.finishRun(id, { status: i % 7 === 0 ? "failed" : "succeeded", errors: [], labware: [], pipettes: [] });
  }
  const engine = openEngine(path);
  // 5% bad: half corrupt JSON, half written by a future codec version.
  engine.exec(
    "UPDATE runs SET summary = substr(summary, 1, 10) WHERE CAST(substr(id, 5) AS INTEGER) % 40 = 0;" +
      "UPDATE runs SET summary_version = 9 WHERE CAST(substr(id, 5) AS INTEGER) % 40 = 20;",
  );
  const check = await store.listRuns({ limit: 1000 });
  const bad = check.filter((run) => run.kind === "bad").length;
  if (check.length !== 1000 || bad !== 50) throw new Error(`expected 1000 runs with 50 bad, got ${check.length} with ${bad}`);
  const select = engine.prepare("SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT 1000");
  const per = { unitsPerOp: 1000, unit: "runs" } as const;
  return {
    name: "listRuns over 1,000 runs with 5% bad rows",
    baseline: { name: "libsql engine: select 1000 rows (no decoding)", fn: () => select.all(), ...per },
    tasks: [{ name: "listRuns (decode, bad rows as BadRun)", fn: async () => await store.listRuns({ limit: 1000 }), ...per }],
    teardown: async () => {
      engine.close();
      await store.close();
    },
  };
}

export default defineSuite({
  name: "storage",
  groups: async ({ quick }) => {
    const dir = await mkdtemp(join(tmpdir(), "deckhand-bench-"));
    const pool = await fixtureCommands();
    const groups = [
      await appendGroup(quick, pool),
      await batchesGroup(quick, pool),
      await pageGroup(dir),
      await analysisGroup(dir),
      await listRunsGroup(dir),
    ];
    const last = groups.length - 1;
    // The last group's teardown also removes the shared directory.
    return groups.map((group, i) =>
      i === last
        ? {
            ...group,
            teardown: async () => {
              await group.teardown?.();
              await rm(dir, { recursive: true, force: true });
            },
          }
        : group,
    );
  },
});
