import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { spawnTypeScript } from "@deckhand/crash-test";
import { createClient } from "@libsql/client";
import { DuplicateCommandError, InvalidOptionsError, openRunStore } from "./mod.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-bulk-load-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('durability "close" is refused for a database that exists, and for anything but a plain file: URL', async () => {
  await withDir(async (dir) => {
    const existing = join(dir, "runs.db");
    const store = await openRunStore({ url: `file:${existing}` });
    await store.createRun({ id: "kept" });
    await store.close();
    await assert.rejects(openRunStore({ url: `file:${existing}`, durability: "close" }), InvalidOptionsError);
    await writeFile(join(dir, "orphan.db-wal"), "x");
    await writeFile(join(dir, "plain"), "a file, not a directory");
    const refused = [
      ":memory:",
      "file::memory:",
      "http://127.0.0.1:9",
      `file:${join(dir, "new.db")}?mode=rwc`,
      `file:${join(dir, "orphan.db")}`,
      "file:",
      // Found by attacking it: libSQL decodes %-escapes, so "exist%2Edb" was the existing runs.db to libSQL but a
      // new file to the check; hosts and a path through a regular file threw raw errors.
      `file:${dir}/runs%2Edb`,
      `file:${dir}/a%20b.db`,
      "file://somehost/tmp/x.db",
      `file:${join(dir, "plain", "x.db")}`,
    ];
    for (const url of refused) {
      await assert.rejects(openRunStore({ url, durability: "close" }), InvalidOptionsError, url);
    }
    assert.deepEqual((await readdir(dir)).filter((name) => !name.startsWith("runs.db")).sort(), ["orphan.db-wal", "plain"], "nothing was created");
    const reopened = await openRunStore({ url: `file:${existing}` });
    assert.equal((await reopened.getRun("kept")).id, "kept", "the existing store is untouched");
    await reopened.close();
  });
});

test('durability "close": a bulk load reads back whole after close, in WAL mode like every store', async () => {
  await withDir(async (dir) => {
    const url = `file:${join(dir, "runs.db")}`;
    const store = await openRunStore({ url, durability: "close" });
    for (let run = 0; run < 5; run++) {
      await store.createRun({ id: `r${run}` });
      await store.appendCommands(`r${run}`, Array.from({ length: 1_500 }, (_, i) => ({ id: `c${i}`, commandType: "home", params: { i } })));
      await store.finishRun(`r${run}`, { status: "succeeded", errors: [] });
    }
    // A failing write rolls back whole, journal in memory or not: a repeated id in the second statement of a batch.
    const repeated = Array.from({ length: 1_500 }, (_, i) => ({ id: i === 1_400 ? "c0" : `c${i}`, commandType: "home" }));
    await store.createRun({ id: "refused" });
    await assert.rejects(store.appendCommands("refused", repeated), DuplicateCommandError);
    assert.equal((await store.listCommands("refused")).totalLength, 0);
    // The unique index of command ids is only built at close(): the store checks ids itself until then, against
    // the run's earlier batches too.
    await store.createRun({ id: "two-batches" });
    await store.appendCommands("two-batches", [{ id: "a", commandType: "home" }]);
    await store.appendCommands("two-batches", [{ id: "b", commandType: "home" }]);
    await assert.rejects(store.appendCommands("two-batches", [{ id: "c", commandType: "home" }, { id: "a", commandType: "home" }]), DuplicateCommandError);
    assert.equal((await store.getCommand("r2", "c1234")).index, 1234, "lookups by id still work before the index is built");
    await Promise.all([store.close(), store.close()]);
    assert.deepEqual((await readdir(dir)).sort(), ["runs.db"], "no journal or WAL is left behind");

    const client = createClient({ url });
    try {
      assert.equal((await client.execute("PRAGMA journal_mode")).rows[0]![0], "wal");
      assert.equal((await client.execute("PRAGMA integrity_check")).rows[0]![0], "ok");
      assert.equal(Number((await client.execute("SELECT count(*) FROM commands")).rows[0]![0]), 7_502);
      // The schema is exactly a store's, the index built at the end included.
      const normal = await openRunStore({ url: `file:${join(dir, "normal.db")}` });
      await normal.close();
      const other = createClient({ url: `file:${join(dir, "normal.db")}` });
      try {
        const schema = "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name";
        assert.deepEqual((await client.execute(schema)).rows, (await other.execute(schema)).rows);
      } finally {
        other.close();
      }
    } finally {
      client.close();
    }
    const reopened = await openRunStore({ url });
    const page = await reopened.listCommands("r4", { cursor: 1_499, pageLength: 5 });
    assert.deepEqual(page.commands.map((c) => c.kind === "ok" && c.command.id), ["c1499"]);
    await reopened.close();
  });
});

test('durability "close": once close() resolves, a kill -9 loses nothing', async () => {
  await withDir(async (dir) => {
    const path = join(dir, "runs.db");
    const child = spawnTypeScript(new URL("./bulk_load_test_child.ts", import.meta.url), [path, "4", "2000"]);
    try {
      await child.waitForLine((line) => line === "closed");
    } finally {
      await child.kill();
    }
    const store = await openRunStore({ url: `file:${path}` });
    try {
      for (let run = 0; run < 4; run++) {
        const found = await store.getRun(`run-${run}`);
        assert.ok(found.kind === "ok" && found.status === "succeeded", `run-${run} is whole`);
        assert.equal((await store.listCommands(`run-${run}`)).totalLength, 2_000);
      }
    } finally {
      await store.close();
    }
  });
});
