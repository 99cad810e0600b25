// The rule that splits schema changes between the two modules: @deckhand/storage's own migrations are applied in
// place and must be additive, so older code keeps working on a newer schema; anything else is a new data-root
// version made by this module. These tests open a database that a newer storage version changed with the
// current (older) storage code and its schema list.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@libsql/client";
import { openRunStore } from "@deckhand/storage";

async function withDatabase(body: (url: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-schema-rule-"));
  try {
    await body(`file:${join(dir, "runs.db")}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes what the current code writes: a finished run with commands, and a quarantined record. */
async function seed(url: string): Promise<void> {
  const store = await openRunStore({ url });
  await store.createRun({ id: "r1", createdAt: "2024-01-01T00:00:00Z" });
  await store.appendCommands("r1", [{ id: "c1", commandType: "home" }, { id: "c2", commandType: "aspirate", params: { volume: 5 } }]);
  await store.finishRun("r1", { status: "succeeded", errors: [] });
  await store.quarantineRun({ id: "q1", bytes: new Uint8Array([1, 2, 3]), code: "MIGRATION_QUARANTINED", message: "m" });
  await store.close();
}

/** What a newer storage version's migration does to the file, recorded in drizzle's journal after ours. */
async function applyNewerMigration(url: string, statements: readonly string[]): Promise<void> {
  const client = createClient({ url });
  try {
    const last = await client.execute("SELECT max(created_at) FROM __drizzle_migrations");
    await client.migrate([
      ...statements,
      { sql: "INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)", args: ["newer", Number(last.rows[0]![0]) + 1_000] },
    ]);
  } finally {
    client.close();
  }
}

test("older storage code keeps working on a newer, additively migrated schema (new column, table, index)", async () => {
  await withDatabase(async (url) => {
    await seed(url);
    await applyNewerMigration(url, [
      "ALTER TABLE runs ADD COLUMN labware_offsets TEXT",
      "CREATE TABLE run_notes (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, note TEXT NOT NULL)",
      "CREATE INDEX runs_completed_at ON runs (completed_at)",
      "UPDATE runs SET labware_offsets = '[]'",
      "INSERT INTO run_notes VALUES ('r1', 'written by newer code')",
    ]);
    const store = await openRunStore({ url });
    try {
      const run = await store.getRun("r1");
      assert.equal(run.kind, "ok");
      assert.equal(run.commandCount, 2);
      assert.equal((await store.listCommands("r1", { cursor: 0 })).commands.length, 2);
      assert.equal((await store.getQuarantinedRun("q1")).code, "MIGRATION_QUARANTINED");
      await store.createRun({ id: "r2" });
      await store.appendCommands("r2", [{ id: "c1", commandType: "home" }]);
      await store.finishRun("r2", { status: "failed", errors: [{ detail: "x" }] });
      assert.equal((await store.listRuns()).length, 3);
      await store.deleteRun("r2");
    } finally {
      await store.close();
    }
    const client = createClient({ url });
    try {
      const journal = await client.execute("SELECT hash FROM __drizzle_migrations ORDER BY created_at DESC LIMIT 1");
      assert.equal(journal.rows[0]![0], "newer", "older code applied nothing over the newer journal");
      assert.equal((await client.execute("SELECT note FROM run_notes")).rows[0]![0], "written by newer code");
      assert.equal((await client.execute("SELECT labware_offsets FROM runs WHERE id = 'r1'")).rows[0]![0], "[]");
    } finally {
      client.close();
    }
  });
});

test("a change that is not additive (a renamed column) breaks older code: such a change must be a new data version", async () => {
  await withDatabase(async (url) => {
    await seed(url);
    await applyNewerMigration(url, ["ALTER TABLE runs RENAME COLUMN doc TO document"]);
    const store = await openRunStore({ url });
    try {
      await assert.rejects(store.getRun("r1"), /no such column: doc/);
    } finally {
      await store.close();
    }
  });
});
