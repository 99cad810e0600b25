import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@libsql/client";
import { COMPLETE_MARKER, InvalidOptionsError, V1_CORRUPT_KINDS, writeV1Fixture } from "./mod.ts";
import { opentronsCommands } from "./opentrons_commands_test_support.ts";

async function rows(root: string): Promise<string> {
  const client = createClient({ url: `file:${join(root, "v1", "robot.db")}` });
  try {
    return JSON.stringify((await client.execute("SELECT id, created_at, hex(blob) FROM run ORDER BY rowid")).rows.map((r) => Object.values(r)));
  } finally {
    client.close();
  }
}

test("the v1 fixture is deterministic from its seed, with the requested share of bad rows of every kind", async () => {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-v1-fixture-"));
  try {
    const sampleCommands = await opentronsCommands();
    const options = { runs: 40, commandsPerRun: 5, corrupt: 0.25, seed: 42, sampleCommands };
    const a = await writeV1Fixture({ root: join(dir, "a"), ...options });
    const b = await writeV1Fixture({ root: join(dir, "b"), ...options });
    const c = await writeV1Fixture({ root: join(dir, "c"), ...options, seed: 43 });
    assert.equal(await rows(join(dir, "a")), await rows(join(dir, "b")), "same seed, same rows");
    assert.notEqual(await rows(join(dir, "a")), await rows(join(dir, "c")), "another seed, other rows");
    assert.deepEqual(a.corrupt, b.corrupt);
    const bad = V1_CORRUPT_KINDS.reduce((n, kind) => n + a.corrupt[kind].length, 0);
    assert.ok(bad >= 5 && bad <= 18, `about a quarter of 40 rows are bad (${bad})`);
    for (const kind of V1_CORRUPT_KINDS) assert.ok(a.corrupt[kind].length >= 1, `${kind} is represented`);
    await assert.rejects(writeV1Fixture({ root: join(dir, "a"), ...options }), InvalidOptionsError, "never overwrites a v1");
    await assert.rejects(writeV1Fixture({ root: join(dir, "d"), ...options, corrupt: 2 }), InvalidOptionsError);
    await assert.rejects(writeV1Fixture({ root: join(dir, "e"), ...options, sampleCommands: [] }), InvalidOptionsError);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the v1 fixture writes no completion marker by default, as a field robot's legacy software did", async () => {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-v1-fixture-"));
  try {
    const sampleCommands = await opentronsCommands();
    await writeV1Fixture({ root: join(dir, "field"), runs: 2, commandsPerRun: 2, sampleCommands });
    assert.deepEqual(await readdir(join(dir, "field", "v1")), ["robot.db"]);
    await writeV1Fixture({ root: join(dir, "marked"), runs: 2, commandsPerRun: 2, sampleCommands, marker: true });
    assert.deepEqual((await readdir(join(dir, "marked", "v1"))).sort(), [COMPLETE_MARKER, "robot.db"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
