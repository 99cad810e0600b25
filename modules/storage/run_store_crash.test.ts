import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { spawnTypeScript } from "@deckhand/crash-test";
import { openRunStore, type RunCommand, type RunStore } from "./mod.ts";

const ROUNDS = 20;

interface Acked {
  readonly runs: Set<string>;
  readonly batches: Map<string, { size: number; first: number }[]>;
  readonly finished: Set<string>;
}

function parseAcks(lines: readonly string[]): Acked {
  const acked: Acked = { runs: new Set(), batches: new Map(), finished: new Set() };
  for (const line of lines) {
    const [ack, what, runId, ...rest] = line.split(" ");
    if (ack !== "ack" || !runId) continue;
    if (what === "run") acked.runs.add(runId);
    if (what === "finish") acked.finished.add(runId);
    if (what === "append") {
      const [batch, size, first] = rest.map(Number);
      const list = acked.batches.get(runId) ?? [];
      assert.equal(list.length, batch, `acks of ${runId} arrive in batch order`);
      list.push({ size: size!, first: first! });
      acked.batches.set(runId, list);
    }
  }
  return acked;
}

/** Checks every run on disk: contiguous indexes, whole batches only, acked data present, acked finishes kept. */
async function checkInvariants(store: RunStore, acked: Acked, context: string): Promise<number> {
  const runs = [];
  for (let before: string | undefined; ; ) {
    const page = await store.listRuns({ limit: 500, ...(before ? { before } : {}) });
    runs.push(...page);
    if (page.length < 500) break;
    before = page.at(-1)!.id;
  }
  const onDisk = new Set(runs.map((run) => run.id));
  for (const id of acked.runs) assert.ok(onDisk.has(id), `${context}: acked run ${id} is missing`);
  let rows = 0;
  for (const run of runs) {
    const page = await store.listCommands(run.id, { cursor: 0, pageLength: run.commandCount + 1 });
    assert.equal(page.commands.length, run.commandCount, `${context}: ${run.id} row count matches its command count`);
    const batchSeen = new Map<number, number>();
    const batchSize = new Map<number, number>();
    page.commands.forEach((stored, i) => {
      assert.equal(stored.index, i, `${context}: ${run.id} indexes are contiguous`);
      assert.equal(stored.kind, "ok", `${context}: ${run.id} command ${i} decodes`);
      if (stored.kind !== "ok") return;
      const { batch, batchSize: size } = stored.command as RunCommand & { batch: number; batchSize: number };
      const seen = batchSeen.get(batch) ?? 0;
      assert.equal(stored.command.id, `${run.id}/${batch}/${seen}`, `${context}: ${run.id} batches are in order`);
      batchSeen.set(batch, seen + 1);
      batchSize.set(batch, size);
    });
    for (const [batch, seen] of batchSeen) {
      assert.equal(seen, batchSize.get(batch), `${context}: ${run.id} batch ${batch} is whole, not partly written`);
    }
    for (const [batch, { size, first }] of (acked.batches.get(run.id) ?? []).entries()) {
      assert.equal(batchSeen.get(batch), size, `${context}: acked batch ${batch} of ${run.id} is all there`);
      assert.equal(page.commands[first]?.kind === "ok" && page.commands[first].command.id, `${run.id}/${batch}/0`);
    }
    if (acked.finished.has(run.id) || run.completedAt !== null) {
      assert.equal(run.kind, "ok", `${context}: finished run ${run.id} reads whole`);
      assert.equal(run.status, "succeeded");
      assert.deepEqual(run.kind === "ok" && run.summary, { status: "succeeded", errors: [] });
    } else {
      assert.equal(run.kind, "bad", `${context}: unfinished run ${run.id} is a bad run after the crash`);
      assert.equal(run.kind === "bad" && run.dataError.code, "RUN_INTERRUPTED");
    }
    rows += page.commands.length;
  }
  return rows;
}

test(`everything acked survives kill -9 at random moments (${ROUNDS} rounds) and nothing is half-written`, async () => {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-"));
  const path = join(dir, "runs.db");
  const all: Acked = { runs: new Set(), batches: new Map(), finished: new Set() };
  let acksSeen = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const seed = 1000 + round;
      const child = spawnTypeScript(new URL("./run_store_test_child.ts", import.meta.url), [path, String(seed)]);
      try {
        await child.waitForLine((line) => line === "ready");
        // Random moment: from right after open to well into the write loop.
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 120)));
      } finally {
        await child.kill();
      }
      const acked = parseAcks(child.lines);
      acksSeen += child.lines.length - 1;
      for (const id of acked.runs) all.runs.add(id);
      for (const id of acked.finished) all.finished.add(id);
      for (const [id, batches] of acked.batches) all.batches.set(id, batches);
      const store = await openRunStore({ url: `file:${path}` });
      try {
        await checkInvariants(store, all, `round ${round} (seed ${seed})`);
      } finally {
        await store.close();
      }
    }
    assert.ok(acksSeen > ROUNDS, `the children acked writes before being killed (${acksSeen} acks)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
