import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@libsql/client";
import { applyMigrations } from "./apply_migrations.ts";
import { MIGRATIONS } from "./migrations.ts";
import { AlreadyExistsError, InvalidRecordError, openRunStore, RunNotFoundError, type RunStore } from "./mod.ts";

function steppingClock(start = Date.parse("2024-05-01T12:00:00.000Z")): { now(): number } {
  let t = start;
  return { now: () => (t += 1000) };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function withStore(fn: (store: RunStore, url: string) => Promise<void>): Promise<void> {
  await withDir(async (dir) => {
    const url = `file:${join(dir, "runs.db")}`;
    const store = await openRunStore({ url, clock: steppingClock() });
    try {
      await fn(store, url);
    } finally {
      await store.close();
    }
  });
}

/** Bytes that are not UTF-8 (a lone continuation byte, 0xff, NUL): a legacy blob a migration could not read. */
const LEGACY = new Uint8Array([0x00, 0xff, 0x80, 0x92, 0xc3, 0x28, 0x7b, 0x22]);

test("quarantineRun keeps the bytes exactly and lists the record as a BadRun with the given code", async () => {
  await withStore(async (store) => {
    const run = await store.createRun({ id: "run-ok" });
    const buffer = new Uint8Array(32).fill(7);
    buffer.set(LEGACY, 4);
    const view = buffer.subarray(4, 4 + LEGACY.length);
    const bad = await store.quarantineRun({
      id: "legacy-1",
      bytes: view,
      code: "MIGRATION_QUARANTINED",
      message: "cbor decode failed at byte 3",
      createdAt: "2020-01-01T00:00:00.000Z",
    });
    buffer.fill(0);
    assert.equal(bad.kind, "bad");
    assert.deepEqual(bad.dataError, { code: "MIGRATION_QUARANTINED", message: "cbor decode failed at byte 3" });
    assert.equal(bad.status, "quarantined");
    assert.equal(bad.quarantined, true);

    const got = await store.getRun("legacy-1");
    assert.deepEqual(got, bad);
    const kept = await store.getQuarantinedRun("legacy-1");
    assert.deepEqual([...kept.bytes], [...LEGACY], "the view's own bytes, as they were when stored");
    assert.equal(kept.createdAt, "2020-01-01T00:00:00.000Z");

    const listed = await store.listRuns();
    assert.deepEqual(listed.map((r) => [r.id, r.kind]), [["run-ok", "ok"], ["legacy-1", "bad"]]);
    const page = await store.listCommands("legacy-1");
    assert.deepEqual(page, { commands: [], cursor: 0, totalLength: 0 });
    assert.equal(run.kind, "ok");
  });
});

test("listRuns pages across runs and quarantined records by creation time, then id", async () => {
  await withStore(async (store) => {
    const at = (s: number): string => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString();
    await store.createRun({ id: "r1", createdAt: at(1) });
    await store.quarantineRun({ id: "q2", bytes: LEGACY, code: "MIGRATION_QUARANTINED", message: "m", createdAt: at(2) });
    await store.createRun({ id: "r3", createdAt: at(3) });
    await store.quarantineRun({ id: "q4", bytes: LEGACY, code: "MIGRATION_QUARANTINED", message: "m", createdAt: at(4) });
    await store.quarantineRun({ id: "q5", bytes: LEGACY, code: "MIGRATION_QUARANTINED", message: "m", createdAt: at(5) });
    const ids: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await store.listRuns({ limit: 2, ...(before === undefined ? {} : { before }) });
      if (page.length === 0) break;
      ids.push(...page.map((r) => r.id));
      before = page.at(-1)!.id;
    }
    assert.deepEqual(ids, ["q5", "q4", "r3", "q2", "r1"]);
  });
});

test("deleteRun removes a quarantined record and logs it; ids are unique across runs and quarantine", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "taken" });
    await assert.rejects(
      store.quarantineRun({ id: "taken", bytes: LEGACY, code: "MIGRATION_QUARANTINED", message: "m" }),
      AlreadyExistsError,
    );
    await store.quarantineRun({ id: "q", bytes: LEGACY, code: "MIGRATION_QUARANTINED", message: "m" });
    await assert.rejects(store.quarantineRun({ id: "q", bytes: LEGACY, code: "X", message: "m" }), AlreadyExistsError);
    await assert.rejects(store.createRun({ id: "q" }), AlreadyExistsError);
    await store.deleteRun("q");
    await assert.rejects(store.getRun("q"), RunNotFoundError);
    await assert.rejects(store.getQuarantinedRun("q"), RunNotFoundError);
    await assert.rejects(store.deleteRun("q"), RunNotFoundError);
    const log = await store.changes();
    assert.deepEqual(
      log.filter((c) => c.id === "q").map((c) => c.kind),
      ["created", "deleted"],
    );
    assert.deepEqual((await store.listRuns()).map((r) => r.id), ["taken"]);
  });
});

test("quarantineRun refuses records it cannot keep, and writes nothing", async () => {
  await withStore(async (store) => {
    const bad = [
      { id: "", bytes: LEGACY, code: "C", message: "m" },
      { id: "a", bytes: [1, 2] as unknown as Uint8Array, code: "C", message: "m" },
      { id: "a", bytes: LEGACY, code: "", message: "m" },
      { id: "a", bytes: LEGACY, code: "C", message: 3 as unknown as string },
      { id: "a", bytes: LEGACY, code: "C", message: "m", createdAt: "yesterday" },
    ];
    for (const record of bad) await assert.rejects(store.quarantineRun(record), InvalidRecordError);
    assert.deepEqual(await store.listRuns(), []);
    assert.deepEqual(await store.changes(), []);
  });
});

test("the quarantine migration is additive: a database made by the first schema opens with its data intact", async () => {
  await withDir(async (dir) => {
    const url = `file:${join(dir, "runs.db")}`;
    const old = createClient({ url });
    try {
      await applyMigrations(old, MIGRATIONS.slice(0, 1));
      await old.execute(
        "INSERT INTO runs (id, protocol_id, created_at, status, command_count, version, doc) VALUES ('old', NULL, 1, 'idle', 0, 1, '{\"actions\":[]}')",
      );
    } finally {
      old.close();
    }
    const store = await openRunStore({ url, clock: steppingClock() });
    try {
      await store.quarantineRun({ id: "q", bytes: LEGACY, code: "MIGRATION_QUARANTINED", message: "m" });
      assert.deepEqual((await store.listRuns()).map((r) => [r.id, r.kind]), [["q", "bad"], ["old", "bad"]]);
    } finally {
      await store.close();
    }
    // Software that knows only the first migration still opens the newer schema: nothing pending, tables intact.
    const older = createClient({ url });
    try {
      assert.equal(await applyMigrations(older, MIGRATIONS.slice(0, 1)), 0);
      assert.equal((await older.execute("SELECT count(*) FROM runs")).rows[0]![0], 1);
    } finally {
      older.close();
    }
  });
});
