import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { spawnTypeScript } from "@deckhand/crash-test";
import { COMPLETE_MARKER, migrateDataRoot, ROBOT_DATA_VERSION, robotMigrations, writeV1Fixture } from "./mod.ts";
import { opentronsCommands } from "./opentrons_commands_test_support.ts";
import { dumpV2 } from "./v2_dump_test_support.ts";

const ROUNDS = 20;

async function treeHash(dir: string): Promise<string> {
  const hash = createHash("sha256");
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  for (const path of entries.map((e) => join(e.parentPath, e.name)).sort()) {
    hash.update(path.slice(dir.length)).update(await readFile(path));
  }
  return hash.digest("hex");
}

test(`kill -9 at random moments of a migration (${ROUNDS} rounds) leaves v1 in use or v2 complete, and a restart ends like an uninterrupted run`, async () => {
  const base = await mkdtemp(join(tmpdir(), "deckhand-migrate-crash-"));
  try {
    const pristine = join(base, "pristine");
    await writeV1Fixture({ root: pristine, runs: 30, commandsPerRun: 40, corrupt: 0.3, seed: 99, sampleCommands: await opentronsCommands() });
    const v1Hash = await treeHash(join(pristine, "v1"));

    const reference = join(base, "reference");
    await cp(pristine, reference, { recursive: true });
    const started = performance.now();
    const expected = await migrateDataRoot({ root: reference, target: ROBOT_DATA_VERSION, migrations: robotMigrations, workers: 1 });
    const migrationMs = performance.now() - started;
    const expectedDump = await dumpV2(expected.dir);

    const outcomes = { beforeV2: 0, midBuild: 0, afterSwitch: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const root = join(base, `round-${round}`);
      await cp(pristine, root, { recursive: true });
      const child = spawnTypeScript(new URL("./robot_migrations_test_child.ts", import.meta.url), [root, "1"]);
      const delay = Math.random() * migrationMs * 1.3;
      try {
        await child.waitForLine((line) => line === "ready");
        await new Promise((resolve) => setTimeout(resolve, delay));
      } finally {
        await child.kill();
      }
      const context = `round ${round} (killed ${delay.toFixed(0)} ms after ready, last line: ${child.lines.at(-1)})`;

      const names = await readdir(root);
      assert.equal(await treeHash(join(root, "v1")), v1Hash, `${context}: v1 is untouched`);
      if (names.includes("v2")) {
        outcomes.afterSwitch++;
        assert.ok(names.includes("v2") && (await readdir(join(root, "v2"))).includes(COMPLETE_MARKER), `${context}: v2 is complete`);
        assert.equal(await dumpV2(join(root, "v2")), expectedDump, `${context}: a switched-to v2 is the whole migration`);
      } else if (names.some((name) => name.startsWith(".tmp-v2-"))) {
        outcomes.midBuild++;
      } else {
        outcomes.beforeV2++;
      }
      assert.ok(names.every((name) => name === "v1" || name === "v2" || name.startsWith(".tmp-v2-")), `${context}: ${names}`);

      const restarted = await migrateDataRoot({ root, target: ROBOT_DATA_VERSION, migrations: robotMigrations, workers: 1 });
      assert.equal(await dumpV2(restarted.dir), expectedDump, `${context}: the restart ends exactly like an uninterrupted run`);
      assert.deepEqual((await readdir(root)).sort(), ["v1", "v2"], `${context}: no temporary directory is left`);
      await rm(root, { recursive: true, force: true });
    }
    assert.ok(outcomes.midBuild > 0, `some kills landed mid-build: ${JSON.stringify(outcomes)}`);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
