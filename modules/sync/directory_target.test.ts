import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { directoryTarget } from "./mod.ts";
import { requestFor, uploadTargetContract } from "./upload_target_contract_test_support.ts";

uploadTargetContract("directoryTarget", async () => {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-sync-dir-"));
  return { target: directoryTarget(dir), close: () => rm(dir, { recursive: true, force: true }) };
});

test("directoryTarget: every byte received before the body failed is on disk, whatever its write batching", async () => {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-sync-dir-"));
  try {
    const target = directoryTarget(dir);
    const bytes = randomBytes((3 << 20) + 12_345);
    // Chunks of 100,000 bytes, failing after 17 of them: 1.7 MB, not a multiple of the 1 MiB write batch.
    await assert.rejects(target.put(requestFor("cut", bytes, { chunk: 100_000, failAfter: 1_700_000 })), /injected read failure/);
    const signal = new AbortController().signal;
    assert.equal(await target.resumeOffset("cut", bytes.byteLength, signal), 1_700_000);
    const held = await readFile(join(dir, "uploads", "cut.part"));
    assert.ok(held.equals(bytes.subarray(0, 1_700_000)), "the part file holds exactly the bytes received");
    const stored = await target.put(requestFor("cut", bytes, { offset: 1_700_000, chunk: 100_000 }));
    assert.equal(stored.size, bytes.byteLength);
    assert.ok((await readFile(join(dir, "objects", stored.sha256))).equals(bytes));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
