import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openRunStore } from "@deckhand/storage";
import { checkChangeFeed } from "./change_feed_check.ts";

test("a real store's change log has no gap and covers every acknowledged run", async () => {
  const dir = await mkdtemp(join(tmpdir(), "campaign-feed-"));
  try {
    const store = await openRunStore({ url: `file:${join(dir, "runs.db")}` });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await store.createRun({});
      ids.push(run.id);
      await store.appendCommands(run.id, [{ id: `c${i}`, commandType: "home", status: "succeeded" }]);
    }
    await store.deleteRun(ids[0]!);
    const entries = await store.changes(0, { limit: 1000 });
    await store.close();
    const report = checkChangeFeed(entries, ids);
    assert.deepEqual(report.gaps, []);
    assert.deepEqual(report.runsWithoutEntry, []);
    assert.equal(report.entries, 11);
    assert.equal(report.firstSeq, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a missing entry, a log that does not start where expected, and an uncovered run are reported", () => {
  const e = (seq: number, id = "r", kind = "commands") => ({ seq, entity: "run", id, kind });
  const report = checkChangeFeed([e(2, "a", "created"), e(3), e(5), e(6)], ["a", "b"]);
  assert.deepEqual(report.gaps, [{ after: 0, next: 2 }, { after: 3, next: 5 }]);
  assert.deepEqual(report.runsWithoutEntry, ["b"]);
  assert.deepEqual(checkChangeFeed([e(40), e(41)], [], { expectFirst: 40 }).gaps, []);
});
