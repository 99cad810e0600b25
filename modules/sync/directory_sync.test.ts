import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { coalescedDirectorySync } from "./directory_sync.ts";

/** A fake fsync the test finishes by hand, recording when each one started. */
function manualSyncs() {
  const runs: { finish: (error?: Error) => void; startedAfter: number }[] = [];
  let calls = 0;
  return {
    runs,
    called: () => calls++,
    syncOnce: () =>
      new Promise<void>((resolve, reject) => {
        runs.push({ finish: (error) => (error ? reject(error) : resolve()), startedAfter: calls });
      }),
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test("callers during a running directory fsync share the next one, which starts only after it", async () => {
  const syncs = manualSyncs();
  const sync = coalescedDirectorySync("/unused", syncs.syncOnce);
  const settled: string[] = [];
  syncs.called();
  const a = sync().then(() => settled.push("a"));
  await tick();
  assert.equal(syncs.runs.length, 1);
  syncs.called();
  const b = sync().then(() => settled.push("b"));
  syncs.called();
  const c = sync().then(() => settled.push("c"));
  await tick();
  assert.equal(syncs.runs.length, 1, "no second fsync while the first runs");
  syncs.runs[0]!.finish();
  await a;
  await tick();
  assert.deepEqual(settled, ["a"], "b and c wait: the first fsync may have started before their renames");
  assert.equal(syncs.runs.length, 2, "one shared fsync for b and c");
  assert.equal(syncs.runs[1]!.startedAfter, 3, "it started after every caller so far");
  syncs.called();
  const d = sync().then(() => settled.push("d"));
  await tick();
  syncs.runs[1]!.finish();
  await Promise.all([b, c]);
  await tick();
  assert.deepEqual(settled.sort(), ["a", "b", "c"], "d started during the shared fsync, so it needs the next one");
  assert.equal(syncs.runs.length, 3);
  syncs.runs[2]!.finish();
  await d;
});

test("a failed directory fsync rejects every caller sharing it, and the next call tries again", async () => {
  const syncs = manualSyncs();
  const sync = coalescedDirectorySync("/unused", syncs.syncOnce);
  const first = sync();
  const shared = [sync(), sync()];
  syncs.runs[0]!.finish();
  await first;
  await tick();
  syncs.runs[1]!.finish(Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" }));
  for (const waiter of shared) await assert.rejects(waiter, /EIO/);
  const again = sync();
  await tick();
  syncs.runs[2]!.finish();
  await again;
});

test("the real fsync of a directory resolves", async () => {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-dirsync-"));
  try {
    const sync = coalescedDirectorySync(dir);
    await Promise.all([sync(), sync(), sync()]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
