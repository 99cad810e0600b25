import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidOptionsError, map, pipeline, run } from "./mod.ts";
import { Gate, settle } from "./gate_test_support.ts";

test("map with concurrency 1 calls fn one item at a time, in order, sync or async", async () => {
  let running = 0;
  let most = 0;
  const out: number[] = [];
  for await (const x of pipeline([1, 2, 3, 4], [map((x: number) => x * 2), map(async (x: number) => {
    most = Math.max(most, ++running);
    await settle(1);
    running--;
    return x + 1;
  })])) out.push(x);
  assert.deepEqual(out, [3, 5, 7, 9]);
  assert.equal(most, 1);
});

test("map never runs more calls at once than its concurrency, and uses all of it", async () => {
  let running = 0;
  let most = 0;
  await run(Array.from({ length: 50 }, (_, i) => i), [map(async (x: number) => {
    most = Math.max(most, ++running);
    await settle(1);
    running--;
    return x;
  }, { concurrency: 4 })]);
  assert.equal(most, 4);
  assert.equal(running, 0);
});

test("ordered map holds a finished result back until the items before it are done", async () => {
  const gates = [new Gate<string>(), new Gate<string>(), new Gate<string>()];
  const results = pipeline([0, 1, 2], [map((i: number) => gates[i]!.wait, { concurrency: 3 })]);
  const first = results.next();
  gates[2]!.open("c");
  gates[1]!.open("b");
  await settle(2);
  gates[0]!.open("a");
  assert.deepEqual(await first, { done: false, value: "a" });
  assert.deepEqual((await results.next()).value, "b");
  assert.deepEqual((await results.next()).value, "c");
  assert.equal((await results.next()).done, true);
});

test("unordered map yields each result as soon as its call finishes", async () => {
  const gates = [new Gate<string>(), new Gate<string>(), new Gate<string>()];
  const results = pipeline([0, 1, 2], [map((i: number) => gates[i]!.wait, { concurrency: 3, ordered: false })]);
  const first = results.next();
  gates[2]!.open("c");
  assert.deepEqual(await first, { done: false, value: "c" }, "item 2 came out while item 0 was still running");
  gates[0]!.open("a");
  assert.equal((await results.next()).value, "a");
  gates[1]!.open("b");
  assert.equal((await results.next()).value, "b");
  assert.equal((await results.next()).done, true);
});

test("a failing call fails the stage after aborting and waiting for the calls still running", async () => {
  const boom = new Error("upload refused");
  let stillRunning = 0;
  let abortedCalls = 0;
  await assert.rejects(
    run(Array.from({ length: 20 }, (_, i) => i), [map((x: number, signal: AbortSignal) => {
      if (x === 2) return Promise.reject(boom);
      stillRunning++;
      return new Promise<number>((resolve) => {
        signal.addEventListener("abort", () => {
          abortedCalls++;
          stillRunning--;
          resolve(x);
        });
      });
    }, { concurrency: 4 })]),
    (error: unknown) => error === boom && (error as { stage?: string }).stage === "map",
  );
  assert.equal(stillRunning, 0);
  assert.ok(abortedCalls >= 2);
});

test("map reports the calls it holds as inFlight in progress", async () => {
  const gate = new Gate();
  const seen: number[] = [];
  const done = run([1, 2, 3, 4, 5], [map(() => gate.wait, { concurrency: 3 })], {
    progressIntervalMs: 1,
    onProgress: (report) => {
      seen.push(report.stages[0]!.inFlight);
      if (report.stages[0]!.inFlight === 3) gate.open();
    },
  });
  const report = await done;
  assert.ok(seen.includes(3));
  assert.equal(report.stages[0]!.inFlight, 0);
});

test("map rejects zero, negative and fractional concurrency and a non-function", () => {
  for (const concurrency of [0, -2, 1.5, Number.NaN]) {
    assert.throws(() => map((x: number) => x, { concurrency }), InvalidOptionsError);
  }
  assert.throws(() => map(undefined as unknown as (x: number) => number), InvalidOptionsError);
});
