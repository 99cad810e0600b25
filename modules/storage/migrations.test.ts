import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@libsql/client";
import { applyMigrations } from "./apply_migrations.ts";
import { type Migration, MIGRATIONS } from "./migrations.ts";
import { renderMigrationsModule } from "./migrations_test_embed.ts";

test("migrations.ts matches the drizzle-kit output in drizzle/ (run db:generate after changing schema.ts)", async () => {
  const expected = renderMigrationsModule(new URL("./drizzle/", import.meta.url));
  const actual = await readFile(new URL("./migrations.ts", import.meta.url), "utf8");
  assert.equal(actual, expected);
});

test("applyMigrations applies pending migrations once, in one transaction, and records them like drizzle", async () => {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-"));
  const client = createClient({ url: `file:${join(dir, "m.db")}` });
  try {
    assert.equal(await applyMigrations(client, MIGRATIONS), MIGRATIONS.length);
    assert.equal(await applyMigrations(client, MIGRATIONS), 0);
    const recorded = await client.execute("SELECT hash, created_at FROM __drizzle_migrations ORDER BY created_at");
    assert.deepEqual(
      recorded.rows.map((row) => [row[0], Number(row[1])]),
      MIGRATIONS.map((m) => [m.hash, m.when]),
    );
    const later: Migration = {
      tag: "9999_later",
      when: MIGRATIONS.at(-1)!.when + 1,
      hash: "h",
      statements: ["CREATE TABLE later_ok (x INTEGER)", "\nCREATE TABLE broken (", ""],
    };
    await assert.rejects(applyMigrations(client, [...MIGRATIONS, later]));
    const tables = await client.execute("SELECT name FROM sqlite_master WHERE name = 'later_ok'");
    assert.equal(tables.rows.length, 0, "a failing migration leaves none of its statements behind");
    assert.equal((await client.execute("SELECT count(*) FROM __drizzle_migrations")).rows[0]![0], MIGRATIONS.length);
  } finally {
    client.close();
    await rm(dir, { recursive: true, force: true });
  }
});
