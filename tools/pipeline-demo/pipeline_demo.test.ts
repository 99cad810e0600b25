import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

test("the demo mirrors every fixture document once and finds nothing to change on the second pass", async () => {
  const store = await mkdtemp(join(tmpdir(), "deckhand-demo-test-"));
  try {
    const fixtures = fileURLToPath(new URL("../../fixtures/opentrons/", import.meta.url));
    const demo = fileURLToPath(new URL("./pipeline_demo.ts", import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", demo, fixtures, store]);
    const documents = (await readdir(fixtures)).filter((f) => f.endsWith(".json")).length;
    assert.match(stdout, new RegExp(`^${documents} documents read and hashed`, "m"));
    assert.match(stdout, new RegExp(`mirror pass 1 .*: added ${documents}, removed 0, unchanged 0`));
    assert.match(stdout, new RegExp(`mirror pass 2 .*: added 0, removed 0, unchanged ${documents}`));
    const stored = (await readdir(store)).filter((f) => /^[0-9a-f]{64}\.json$/.test(f));
    assert.ok(stored.length > 0 && stored.length <= documents, "documents stored under their content hash");
  } finally {
    await rm(store, { recursive: true, force: true });
  }
});
