import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@libsql/client";
import {
  COMPLETE_MARKER,
  InvalidOptionsError,
  type Migration,
  migrateDataRoot,
  MigrationAbortedError,
  type MigrationProgress,
  NoMigrationPathError,
  VerificationFailedError,
} from "./mod.ts";

async function withRoot(body: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "deckhand-migrate-"));
  try {
    await body(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Writes a complete version directory holding `lines.txt`, as that version's software would. */
async function completeVersion(root: string, version: number, lines: readonly string[]): Promise<string> {
  const dir = join(root, `v${version}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "lines.txt"), lines.join("\n"));
  await writeFile(join(dir, COMPLETE_MARKER), JSON.stringify({ version }));
  return dir;
}

/** A test migration: copies lines upper-cased; lines starting with "bad" are quarantined with their bytes. */
function linesMigration(from: number, to: number, tweak: { lose?: boolean; hook?: () => Promise<void> } = {}): Migration {
  return {
    from,
    to,
    async run(context) {
      const lines = (await readFile(join(context.sourceDir, "lines.txt"), "utf8")).split("\n").filter(Boolean);
      context.setTotal(lines.length);
      const out: string[] = [];
      for (const [i, line] of lines.entries()) {
        await tweak.hook?.();
        if (line.startsWith("bad")) {
          await context.quarantine.write({ id: i === 0 ? "../../../escape" : `line-${i}`, bytes: new TextEncoder().encode(line), reason: "bad-line", message: line });
        } else {
          out.push(line.toUpperCase());
          context.advance(1);
        }
      }
      if (tweak.lose) out.pop();
      await writeFile(join(context.destinationDir, "lines.txt"), out.join("\n"));
      return { read: lines.length, migrated: out.length, quarantined: context.quarantine.count };
    },
  };
}

async function entries(root: string): Promise<string[]> {
  return (await readdir(root)).sort();
}

test("a new robot (no version directory) gets an empty, complete target directory and no migration runs", async () => {
  await withRoot(async (root) => {
    const result = await migrateDataRoot({ root, target: 2, migrations: [linesMigration(1, 2)] });
    assert.equal(result.dir, join(root, "v2"));
    assert.equal(result.created, true);
    assert.equal(result.migratedFrom, null);
    assert.deepEqual(await entries(root), ["v2"]);
    assert.deepEqual(await readdir(result.dir), [COMPLETE_MARKER]);
    const again = await migrateDataRoot({ root, target: 2, migrations: [] });
    assert.equal(again.created, false, "a complete target is used as it is");
  });
});

test("the target is built from the newest complete older version; older directories are kept", async () => {
  await withRoot(async (root) => {
    await completeVersion(root, 1, ["old"]);
    await completeVersion(root, 2, ["bad one", "a", "b"]);
    await mkdir(join(root, "v3"));
    const result = await migrateDataRoot({ root, target: 4, migrations: [linesMigration(1, 4), linesMigration(2, 3), linesMigration(3, 4)], workers: 1 });
    assert.equal(result.migratedFrom, 2);
    assert.deepEqual(result.steps.map((s) => [s.from, s.to, s.read, s.migrated, s.quarantined]), [[2, 3, 3, 2, 1], [3, 4, 2, 2, 0]]);
    assert.deepEqual(result.steps[0]!.quarantinedByReason, { "bad-line": 1 });
    assert.equal(await readFile(join(result.dir, "lines.txt"), "utf8"), "A\nB");
    assert.deepEqual(await readFile(join(root, "v1", "lines.txt"), "utf8"), "old");
    const names = await entries(root);
    assert.deepEqual(names.filter((n) => !n.startsWith("v3.incomplete-")), ["v1", "v2", "v3", "v4"], "every step's version is kept");
    assert.equal(names.filter((n) => n.startsWith("v3.incomplete-")).length, 1, "an incomplete v3 found in the way is renamed aside, not deleted");
    const quarantined = join(root, "v3", "quarantine");
    assert.deepEqual(await readdir(quarantined), ["000000.bin", "000000.json"]);
    assert.equal(await readFile(join(quarantined, "000000.bin"), "utf8"), "bad one", "the original bytes are kept");
    assert.match(await readFile(join(quarantined, "000000.json"), "utf8"), /"id":"..\/..\/..\/escape"/, "a hostile id is data, never a path");
  });
});

test("leftover temporary directories from a crash are removed and the work starts again", async () => {
  await withRoot(async (root) => {
    await completeVersion(root, 1, ["x"]);
    await mkdir(join(root, ".tmp-v2-crashed"));
    await writeFile(join(root, ".tmp-v2-crashed", "lines.txt"), "HALF");
    const result = await migrateDataRoot({ root, target: 2, migrations: [linesMigration(1, 2)] });
    assert.equal(result.removedTempDirs, 1);
    assert.deepEqual(await entries(root), ["v1", "v2"]);
    assert.equal(await readFile(join(root, "v2", "lines.txt"), "utf8"), "X");
  });
});

test("a downgraded robot: a newer complete version is left alone and the target directory is used or created", async () => {
  await withRoot(async (root) => {
    await completeVersion(root, 1, ["one"]);
    await completeVersion(root, 3, ["three"]);
    const used = await migrateDataRoot({ root, target: 1, migrations: [] });
    assert.equal(used.dir, join(root, "v1"));
    assert.deepEqual(used.newerVersions, [3]);
    const built = await migrateDataRoot({ root, target: 2, migrations: [linesMigration(1, 2)] });
    assert.equal(await readFile(join(built.dir, "lines.txt"), "utf8"), "ONE");
    assert.equal(await readFile(join(root, "v3", "lines.txt"), "utf8"), "three");
  });
});

test("counts that do not balance block the switch: the old version stays in use and no temp dir is left", async () => {
  await withRoot(async (root) => {
    await completeVersion(root, 1, ["a", "b"]);
    await assert.rejects(
      migrateDataRoot({ root, target: 2, migrations: [linesMigration(1, 2, { lose: true })] }),
      (error: unknown) => error instanceof VerificationFailedError && error.code === "MIGRATE_VERIFY_FAILED" && /2 read, 1 migrated/.test(error.message),
    );
    assert.deepEqual(await entries(root), ["v1"]);
  });
});

test("a database failing foreign_key_check or integrity_check blocks the switch", async () => {
  for (const breakage of ["foreign key", "integrity"] as const) {
    await withRoot(async (root) => {
      await completeVersion(root, 1, []);
      const broken: Migration = {
        from: 1,
        to: 2,
        async run(context) {
          const path = join(context.destinationDir, "data.db");
          const client = createClient({ url: `file:${path}` });
          await client.execute("PRAGMA foreign_keys=OFF");
          await client.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
          await client.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id), name TEXT)");
          await client.execute("CREATE INDEX child_name ON child (name)");
          if (breakage === "foreign key") await client.execute("INSERT INTO child VALUES (1, 42, 'orphan')");
          else {
            await client.execute("INSERT INTO child (id, name) VALUES (1, 'a'), (2, 'b')");
            // Rewrite the table behind its index's back: the index no longer matches the rows.
            await client.execute("PRAGMA writable_schema=ON");
            await client.execute("UPDATE sqlite_schema SET sql = 'CREATE INDEX child_name ON child (id)' WHERE name = 'child_name'");
          }
          client.close();
          return { read: 0, migrated: 0, quarantined: 0 };
        },
      };
      await assert.rejects(
        migrateDataRoot({ root, target: 2, migrations: [broken] }),
        (error: unknown) =>
          error instanceof VerificationFailedError &&
          (breakage === "foreign key" ? /foreign_key_check/ : /integrity_check/).test(error.message),
      );
      assert.deepEqual(await entries(root), ["v1"], `${breakage}: not switched`);
    });
  }
});

test("progress is throttled, and ends at 100% in phase done", async () => {
  await withRoot(async (root) => {
    await completeVersion(root, 1, Array.from({ length: 50 }, (_, i) => (i % 10 === 0 ? `bad ${i}` : `line ${i}`)));
    let now = 0;
    const reports: MigrationProgress[] = [];
    await migrateDataRoot({
      root,
      target: 2,
      migrations: [linesMigration(1, 2, { hook: async () => void (now += 10) })],
      clock: { now: () => now },
      progressIntervalMs: 100,
      onProgress: (p) => reports.push(p),
    });
    const migrating = reports.filter((p) => p.phase === "migrate v1->v2");
    assert.ok(migrating.length >= 3 && migrating.length <= 10, `throttled: ${migrating.length} reports for 50 records over 500 ms`);
    const last = reports.at(-1)!;
    assert.deepEqual([last.phase, last.done, last.total, last.quarantined, last.etaMs], ["done", 50, 50, 5, 0]);
    assert.ok(reports.some((p) => p.phase === "verify") && reports.some((p) => p.phase === "switch"));
    assert.ok(migrating.some((p) => p.itemsPerSecond > 0 && p.etaMs !== null && p.etaMs > 0), "rate and eta are reported");
  });
});

test("aborting stops the migration without switching", async () => {
  await withRoot(async (root) => {
    await completeVersion(root, 1, ["a", "b", "c"]);
    const controller = new AbortController();
    const migration = linesMigration(1, 2, {
      hook: async () => {
        controller.abort("power button");
        context().signal.throwIfAborted();
      },
    });
    let captured: AbortSignal | undefined;
    const context = () => ({ signal: captured! });
    const wrapped: Migration = { ...migration, run: (c) => ((captured = c.signal), migration.run(c)) };
    await assert.rejects(
      migrateDataRoot({ root, target: 2, migrations: [wrapped], signal: controller.signal }),
      (error: unknown) => error instanceof MigrationAbortedError && error.code === "MIGRATE_ABORTED" && error.cause === "power button",
    );
    assert.deepEqual(await entries(root), ["v1"]);
  });
});

test("no migration path, and nonsense options, are typed errors", async () => {
  await withRoot(async (root) => {
    await completeVersion(root, 1, []);
    await assert.rejects(migrateDataRoot({ root, target: 3, migrations: [linesMigration(1, 2)] }), NoMigrationPathError);
    assert.deepEqual(await entries(root), ["v1"]);
    for (const bad of [
      { root: "relative/dir", target: 2, migrations: [] },
      { root: "", target: 2, migrations: [] },
      { root, target: 0, migrations: [] },
      { root, target: 1.5, migrations: [] },
      { root, target: 2, migrations: [], workers: 0 },
      { root, target: 2, migrations: [{ from: 2, to: 1, run: async () => ({ read: 0, migrated: 0, quarantined: 0 }) }] },
    ]) {
      await assert.rejects(migrateDataRoot(bad), (e: unknown) => e instanceof InvalidOptionsError && e.code === "MIGRATE_INVALID_OPTIONS");
    }
  });
});

test("a dry run changes nothing in the root", async () => {
  await withRoot(async (root) => {
    await completeVersion(root, 1, ["a", "bad"]);
    await mkdir(join(root, ".tmp-v2-leftover"));
    const result = await migrateDataRoot({ root, target: 2, migrations: [linesMigration(1, 2)], dryRun: true });
    assert.equal(result.dryRun, true);
    assert.deepEqual([result.migrated, result.quarantined], [1, 1]);
    assert.deepEqual(await entries(root), [".tmp-v2-leftover", "v1"]);
  });
});

/** A marker-less directory holding `lines.txt`, as legacy software (before this engine) left it. */
async function legacyVersion(root: string, version: number, lines: readonly string[]): Promise<string> {
  const dir = join(root, `v${version}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "lines.txt"), lines.join("\n"));
  return dir;
}

function withLegacy(migration: Migration, seen: string[] = []): Migration {
  return {
    ...migration,
    async isLegacyComplete(dir) {
      seen.push(dir);
      return (await readdir(dir)).includes("lines.txt");
    },
  };
}

test("a legacy directory without the marker is a source when its migration recognises it; without the check it is not", async () => {
  await withRoot(async (root) => {
    await legacyVersion(root, 1, ["field", "bad row"]);
    const plain = await migrateDataRoot({ root, target: 2, migrations: [linesMigration(1, 2)], dryRun: true });
    assert.equal(plain.created, true, "without isLegacyComplete a marker-less v1 is not complete");
    const seen: string[] = [];
    const result = await migrateDataRoot({ root, target: 2, migrations: [withLegacy(linesMigration(1, 2), seen)], workers: 1 });
    assert.deepEqual([result.migratedFrom, result.migrated, result.quarantined], [1, 1, 1]);
    assert.equal(await readFile(join(root, "v2", "lines.txt"), "utf8"), "FIELD");
    assert.deepEqual(await readdir(join(root, "v1")), ["lines.txt"], "the legacy directory is not written to (no marker added)");
    assert.deepEqual(seen, [join(root, "v1")]);
  });
});

test("a legacy check never makes a half-written temporary directory or a version this engine writes complete", async () => {
  await withRoot(async (root) => {
    // Looks complete to the check, but temporary directories are never sources: removed, and a new root is made.
    await mkdir(join(root, ".tmp-v1-crashed"));
    await writeFile(join(root, ".tmp-v1-crashed", "lines.txt"), "HALF");
    const seen: string[] = [];
    const fresh = await migrateDataRoot({ root, target: 2, migrations: [withLegacy(linesMigration(1, 2), seen)], workers: 1 });
    assert.deepEqual([fresh.created, fresh.removedTempDirs, seen.length], [true, 1, 0]);
    assert.deepEqual(await entries(root), ["v2"]);
  });
  await withRoot(async (root) => {
    await legacyVersion(root, 1, ["one"]);
    await legacyVersion(root, 2, ["half-written v2 without its marker"]);
    await mkdir(join(root, ".tmp-v2-crashed"));
    await writeFile(join(root, ".tmp-v2-crashed", "lines.txt"), "HALF");
    const seen: string[] = [];
    const result = await migrateDataRoot({ root, target: 2, migrations: [withLegacy(linesMigration(1, 2), seen)], workers: 1 });
    assert.equal(result.migratedFrom, 1, "the marker-less v2 (a version migrate writes) is not complete; v2 is rebuilt from v1");
    assert.equal(await readFile(join(root, "v2", "lines.txt"), "utf8"), "ONE");
    assert.equal((await entries(root)).filter((n) => n.startsWith("v2.incomplete-")).length, 1);
    assert.deepEqual(seen, [join(root, "v1")], "only v1 is asked");
  });
  await withRoot(async (root) => {
    await legacyVersion(root, 2, ["x"]);
    await assert.rejects(
      migrateDataRoot({ root, target: 3, migrations: [linesMigration(1, 2), withLegacy(linesMigration(2, 3))] }),
      (error: unknown) => error instanceof InvalidOptionsError && /v2 is written by migration v1->v2/.test(error.message),
    );
  });
});
