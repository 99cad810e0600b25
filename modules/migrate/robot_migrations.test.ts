import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createClient } from "@libsql/client";
import { openRunStore, type RunStore } from "@deckhand/storage";
import {
  COMPLETE_MARKER,
  MIGRATION_QUARANTINED,
  migrateDataRoot,
  MigrationAbortedError,
  type MigrationProgress,
  ROBOT_DATA_VERSION,
  robotMigrations,
  V1_CORRUPT_KINDS,
  type V1FixtureReport,
  writeV1Fixture,
} from "./mod.ts";
import { opentronsCommands } from "./opentrons_commands_test_support.ts";
import { dumpV2 } from "./v2_dump_test_support.ts";
import { decodeV1Run, V1_DATABASE } from "./v1_format.ts";

let base: string;
let sampleCommands: Record<string, unknown>[];

before(async () => {
  base = await mkdtemp(join(tmpdir(), "deckhand-robot-migrate-"));
  sampleCommands = await opentronsCommands();
});

after(async () => {
  await rm(base, { recursive: true, force: true });
});

let rootCount = 0;
async function v1Root(runs = 24, commandsPerRun = 30, corrupt = 0.4, seed = 7): Promise<{ root: string; fixture: V1FixtureReport }> {
  const root = join(base, `root-${rootCount++}`);
  const fixture = await writeV1Fixture({ root, runs, commandsPerRun, corrupt, seed, sampleCommands });
  return { root, fixture };
}

/** Every file under `dir` with its SHA-256, to prove a directory did not change. */
async function treeHash(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path.slice(dir.length)] = createHash("sha256").update(await readFile(path)).digest("hex");
  }
  return out;
}

async function v1Blobs(root: string): Promise<Map<string, Uint8Array>> {
  const client = createClient({ url: `file:${join(root, "v1", V1_DATABASE)}` });
  try {
    const rows = (await client.execute("SELECT id, blob FROM run")).rows;
    return new Map(rows.map((row) => [String(row[0]), new Uint8Array(row[1] as ArrayBuffer)]));
  } finally {
    client.close();
  }
}

async function withStore<T>(dir: string, body: (store: RunStore) => Promise<T>): Promise<T> {
  const store = await openRunStore({ url: `file:${join(dir, "runs.db")}` });
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

test("v1 -> v2: every good run is migrated whole, with its own times, commands in order and summary", async () => {
  const { root, fixture } = await v1Root(12, 40, 0);
  const blobs = await v1Blobs(root);
  const result = await migrateDataRoot({ root, target: ROBOT_DATA_VERSION, migrations: robotMigrations, workers: 2 });
  assert.deepEqual([result.version, result.migratedFrom, result.migrated, result.quarantined], [2, 1, 12, 0]);
  assert.equal(result.dir, join(root, "v2"));
  await withStore(result.dir, async (store) => {
    const runs = await store.listRuns({ limit: 100 });
    assert.equal(runs.length, 12);
    for (const [id, blob] of blobs) {
      const expected = decodeV1Run(id, blob);
      assert.equal(expected.kind, "run");
      if (expected.kind !== "run") continue;
      const run = await store.getRun(id);
      assert.equal(run.kind, "ok", `${id} reads whole`);
      if (run.kind !== "ok") continue;
      assert.deepEqual(
        [run.createdAt, run.startedAt, run.completedAt, run.status, run.commandCount],
        [expected.createdAt, expected.startedAt, expected.completedAt, "succeeded", 40],
      );
      assert.deepEqual(run.actions, expected.actions);
      assert.deepEqual(run.summary, expected.summary);
      const page = await store.listCommands(id, { cursor: 0, pageLength: 1000 });
      assert.deepEqual(page.commands.map((c) => (c.kind === "ok" ? c.command : c)), expected.commands);
    }
  });
  assert.equal(fixture.commands, 480);
});

test("every kind of corrupt row is quarantined with its exact bytes, counted by reason, listed and deletable", async () => {
  const { root, fixture } = await v1Root(30, 20, 0.5, 11);
  for (const kind of V1_CORRUPT_KINDS) assert.ok(fixture.corrupt[kind].length > 0, `the fixture has ${kind} rows`);
  const blobs = await v1Blobs(root);
  const result = await migrateDataRoot({ root, target: ROBOT_DATA_VERSION, migrations: robotMigrations, workers: 1 });
  const bad = V1_CORRUPT_KINDS.flatMap((kind) => fixture.corrupt[kind]);
  assert.equal(result.quarantined, bad.length);
  assert.equal(result.migrated + result.quarantined, 30, "nothing dropped");
  const byReason = result.steps[0]!.quarantinedByReason;
  for (const kind of V1_CORRUPT_KINDS) assert.equal(byReason[kind], fixture.corrupt[kind].length, `${kind} counted`);
  await withStore(result.dir, async (store) => {
    for (const kind of V1_CORRUPT_KINDS) {
      for (const id of fixture.corrupt[kind]) {
        const run = await store.getRun(id);
        assert.equal(run.kind, "bad");
        assert.equal(run.kind === "bad" && run.dataError.code, MIGRATION_QUARANTINED);
        assert.match(run.kind === "bad" ? run.dataError.message : "", new RegExp(`^\\[${kind}\\] `));
        const kept = await store.getQuarantinedRun(id);
        assert.deepEqual(kept.bytes, blobs.get(id), `${id} (${kind}) keeps its original bytes`);
      }
    }
    const listed = await store.listRuns({ limit: 100 });
    assert.equal(listed.length, 30, "quarantined runs are listed with the migrated ones");
    await store.deleteRun(bad[0]!);
    assert.equal((await store.listRuns({ limit: 100 })).length, 29);
  });
});

test("1 worker and several workers migrate to the same rows", async () => {
  const dumps: string[] = [];
  for (const workers of [1, 3]) {
    const { root } = await v1Root(16, 25, 0.3, 5);
    const result = await migrateDataRoot({ root, target: 2, migrations: robotMigrations, workers });
    dumps.push(await dumpV2(result.dir));
  }
  assert.equal(dumps[0], dumps[1]);
});

test("the dry run reports counts and what would be quarantined, and changes nothing", async () => {
  const { root, fixture } = await v1Root(20, 10, 0.5, 3);
  const before = await treeHash(root);
  const result = await migrateDataRoot({ root, target: 2, migrations: robotMigrations, dryRun: true, workers: 1 });
  assert.equal(result.dryRun, true);
  const bad = V1_CORRUPT_KINDS.reduce((n, kind) => n + fixture.corrupt[kind].length, 0);
  assert.deepEqual([result.migrated, result.quarantined], [20 - bad, bad]);
  assert.deepEqual(await treeHash(root), before);
  assert.deepEqual((await readdir(root)).sort(), ["v1"]);
});

test("a downgrade finds v1 intact: older code opening the root uses v1, byte for byte as before", async () => {
  const { root } = await v1Root(10, 10, 0.3, 9);
  const v1Before = await treeHash(join(root, "v1"));
  await migrateDataRoot({ root, target: 2, migrations: robotMigrations, workers: 1 });
  assert.deepEqual(await treeHash(join(root, "v1")), v1Before, "the migration never writes to v1");
  // Older software at data version 1 knows the v1 check (robotMigrations declares it), so it uses the
  // marker-less v1 as it is; the legacy software itself reads v1/robot.db directly (v1Blobs below).
  const older = await migrateDataRoot({ root, target: 1, migrations: robotMigrations });
  assert.deepEqual([older.dir, older.created, older.migratedFrom], [join(root, "v1"), false, null]);
  assert.deepEqual(older.newerVersions, [2]);
  assert.deepEqual(await treeHash(join(root, "v1")), v1Before);
  assert.equal((await v1Blobs(root)).size, 10, "v1 software still reads all its rows");
  const upgradedAgain = await migrateDataRoot({ root, target: 2, migrations: robotMigrations });
  assert.equal(upgradedAgain.migratedFrom, null, "upgrading again uses the complete v2 as it is");
});

test("progress reaches 100% with the quarantined count", async () => {
  const { root, fixture } = await v1Root(15, 10, 0.4, 21);
  const reports: MigrationProgress[] = [];
  await migrateDataRoot({ root, target: 2, migrations: robotMigrations, workers: 1, onProgress: (p) => reports.push(p) });
  const last = reports.at(-1)!;
  const bad = V1_CORRUPT_KINDS.reduce((n, kind) => n + fixture.corrupt[kind].length, 0);
  assert.deepEqual([last.phase, last.done, last.total, last.quarantined], ["done", 15, 15, bad]);
  const counts = reports.map((p) => p.done);
  assert.deepEqual(counts.filter((n, i) => i > 0 && n < counts[i - 1]! && reports[i]!.phase === reports[i - 1]!.phase), [], "done never goes back within a phase");
});

test("a field robot's v1 (no completion marker) migrates, and is left exactly as it was", async () => {
  const { root, fixture } = await v1Root(6, 10, 0.3, 11);
  assert.deepEqual(await readdir(join(root, "v1")), [V1_DATABASE], "a field robot's v1 has no marker");
  const before = await treeHash(join(root, "v1"));
  const result = await migrateDataRoot({ root, target: ROBOT_DATA_VERSION, migrations: robotMigrations, workers: 1 });
  const bad = V1_CORRUPT_KINDS.reduce((n, kind) => n + fixture.corrupt[kind].length, 0);
  assert.deepEqual([result.migratedFrom, result.migrated + result.quarantined, result.quarantined], [1, 6, bad]);
  assert.deepEqual(await treeHash(join(root, "v1")), before, "v1 is not written to and gets no marker");
});

test("a v1 whose database does not open as SQLite is not complete: v1 is left in place and unused", async () => {
  const root = join(base, `root-${rootCount++}`);
  await mkdir(join(root, "v1"), { recursive: true });
  await writeFile(join(root, "v1", V1_DATABASE), "this is not a SQLite database, it is a half-copied text file".repeat(20));
  const before = await treeHash(join(root, "v1"));
  const result = await migrateDataRoot({ root, target: ROBOT_DATA_VERSION, migrations: robotMigrations, workers: 1 });
  assert.deepEqual([result.created, result.migratedFrom], [true, null]);
  assert.deepEqual(await treeHash(join(root, "v1")), before);
});

test("a half-written temporary v1 copy is never used as a source, even though its database opens", async () => {
  const { root } = await v1Root(3, 5, 0, 3);
  await rename(join(root, "v1"), join(root, ".tmp-v1-crashed"));
  const result = await migrateDataRoot({ root, target: ROBOT_DATA_VERSION, migrations: robotMigrations, workers: 1 });
  assert.deepEqual([result.created, result.migratedFrom, result.removedTempDirs], [true, null, 1]);
  assert.deepEqual(await readdir(root), ["v2"]);
});

test("an empty v1 migrates to an empty, complete v2", async () => {
  const { root } = await v1Root(0, 0, 0);
  const result = await migrateDataRoot({ root, target: 2, migrations: robotMigrations, workers: 1 });
  assert.deepEqual([result.migrated, result.quarantined], [0, 0]);
  assert.ok((await stat(join(result.dir, "runs.db"))).isFile());
});

test("aborting mid-migration stops the workers and the writer, switches nothing and leaves no temp dir", async () => {
  const { root } = await v1Root(20, 20, 0);
  const controller = new AbortController();
  await assert.rejects(
    migrateDataRoot({
      root,
      target: 2,
      migrations: robotMigrations,
      workers: 2,
      signal: controller.signal,
      progressIntervalMs: 1,
      onProgress: (p) => p.done >= 3 && controller.abort("shutdown"),
    }),
    (error: unknown) => error instanceof MigrationAbortedError && error.code === "MIGRATE_ABORTED",
  );
  assert.deepEqual((await readdir(root)).sort(), ["v1"]);
  const result = await migrateDataRoot({ root, target: 2, migrations: robotMigrations, workers: 1 });
  assert.equal(result.migrated, 20, "the next start migrates everything");
});

test("a v1 directory without a database (a robot that never ran) migrates to an empty v2 and v1 stays as it was", async () => {
  const root = join(base, `root-${rootCount++}`);
  await mkdir(join(root, "v1"), { recursive: true });
  await writeFile(join(root, "v1", COMPLETE_MARKER), "{}");
  const result = await migrateDataRoot({ root, target: 2, migrations: robotMigrations, workers: 1 });
  assert.deepEqual([result.migratedFrom, result.migrated, result.quarantined], [1, 0, 0]);
  assert.deepEqual(await readdir(join(root, "v1")), [COMPLETE_MARKER]);
});
