import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { censusTarget, checkTargetFiles, startFinishedFileWatcher } from "./target_census.ts";

const hash = (s: string) => createHash("sha256").update(s).digest("hex");

test("the watcher hashes finished files only, and keeps them after they are deleted", async () => {
  const dir = await mkdtemp(join(tmpdir(), "campaign-watch-"));
  try {
    const watcher = startFinishedFileWatcher({ dir, intervalMs: 10_000 });
    await writeFile(join(dir, "t_20260101T000000000Z_0000000001.mcap"), "one");
    await writeFile(join(dir, "t_20260101T000000000Z_0000000002.mcap.part"), "partial");
    await watcher.scanNow();
    await rm(join(dir, "t_20260101T000000000Z_0000000001.mcap"));
    await writeFile(join(dir, "t_20260101T000000000Z_0000000002.mcap"), "two");
    const seen = await watcher.stop();
    assert.deepEqual([...seen.entries()], [
      ["t_20260101T000000000Z_0000000001.mcap", { sha256: hash("one"), size: 3 }],
      ["t_20260101T000000000Z_0000000002.mcap", { sha256: hash("two"), size: 3 }],
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("exactly once, lost, duplicated and wrong-hash objects are each found in a real target directory", async () => {
  const dir = await mkdtemp(join(tmpdir(), "campaign-target-"));
  try {
    await mkdir(join(dir, "objects"), { recursive: true });
    await mkdir(join(dir, "uploads"), { recursive: true });
    await writeFile(join(dir, "objects", hash("one")), "one");
    await writeFile(join(dir, "objects", hash("two")), "two");
    await writeFile(join(dir, "objects", "copy-of-two"), "two");
    await writeFile(join(dir, "objects", hash("four")), "tampered");
    await writeFile(join(dir, "uploads", "k.part"), "one");
    const objects = await censusTarget(dir);
    assert.equal(objects.length, 4, "uploads/ is not stored objects");
    const seen = new Map([
      ["a.mcap", { sha256: hash("one"), size: 3 }],
      ["b.mcap", { sha256: hash("two"), size: 3 }],
      ["c.mcap", { sha256: hash("three"), size: 5 }],
    ]);
    const report = checkTargetFiles(seen, objects);
    assert.equal(report.expected, 3);
    assert.equal(report.exactlyOnce, 1);
    assert.deepEqual(report.lost, ["c.mcap"]);
    assert.deepEqual(report.duplicated, [{ sha256: hash("two"), paths: [`objects/${hash("two")}`, "objects/copy-of-two"] }]);
    assert.deepEqual(report.wrongHash, [`objects/${hash("four")}`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
