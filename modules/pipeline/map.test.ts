import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { InvalidOptionsError, map, pipeline, run, type Stage } from "./mod.ts";
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

test("a concurrent map called as a plain stage, outside any pipeline, maps in order and ends", async () => {
  async function* numbers(): AsyncGenerator<number> {
    for (let i = 0; i < 50; i++) {
      if (i % 7 === 0) await settle(1);
      yield i;
    }
  }
  const stage = map(async (x: number) => {
    if (x % 3 === 0) await settle(1);
    return x * 2;
  }, { concurrency: 4 });
  const context = { name: "map", index: 0, signal: new AbortController().signal, setInFlight: () => {} };
  const out: number[] = [];
  for await (const x of stage(numbers(), context)) out.push(x);
  assert.deepEqual(out, Array.from({ length: 50 }, (_, i) => i * 2));
});

test("a concurrent map called as a plain stage stops its calls and its input when the loop breaks, and fails with a call's error", async () => {
  let closed = false;
  async function* numbers(): AsyncGenerator<number> {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      closed = true;
    }
  }
  const context = { name: "map", index: 0, signal: new AbortController().signal, setInFlight: () => {} };
  let aborted = 0;
  const slow = map((x: number, signal: AbortSignal) =>
    x < 2 ? x : new Promise<number>((resolve) => signal.addEventListener("abort", () => {
      aborted++;
      resolve(x);
    })), { concurrency: 3 });
  const out: number[] = [];
  for await (const x of slow(numbers(), context)) {
    out.push(x);
    if (out.length === 2) break;
  }
  assert.deepEqual(out, [0, 1]);
  assert.equal(closed, true, "the input was closed");
  assert.ok(aborted >= 1, "the calls still running were aborted");

  const boom = new Error("bad item");
  const failing = map(async (x: number) => {
    if (x === 5) throw boom;
    return x;
  }, { concurrency: 2 });
  await assert.rejects(async () => {
    for await (const _ of failing(numbers(), context));
  }, (error: unknown) => error === boom);
});

test("a stage after a concurrent map that stops reading early ends the run without a failure and aborts the running calls", async () => {
  let aborted = 0;
  let started = 0;
  const firstTwo: Stage<number, number> = async function* firstTwo(input) {
    let n = 0;
    for await (const x of input) {
      yield x;
      if (++n === 2) return;
    }
  };
  const report = await run(Array.from({ length: 100 }, (_, i) => i), [
    map((x: number, signal: AbortSignal) => {
      started++;
      if (x < 2) return x;
      return new Promise<number>((_resolve, reject) => {
        signal.addEventListener("abort", () => {
          aborted++;
          reject(signal.reason);
        });
      });
    }, { concurrency: 4 }),
    firstTwo,
  ]);
  assert.equal(report.outputItems, 2);
  assert.ok(started <= 2 + 4, `${started} calls started for a concurrency of 4`);
  assert.equal(aborted, started - 2, "every call still running was aborted");
});

test("property: a concurrent map emits exactly what a plain loop computes (in order unless unordered), whatever the timing", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 60 }),
      fc.integer({ min: 2, max: 6 }),
      fc.integer({ min: 1, max: 4 }),
      fc.boolean(),
      fc.boolean(),
      async (delays, concurrency, queueSize, ordered, asyncSource) => {
        const items = delays.map((delay, i) => ({ i, delay }));
        async function* slowly(): AsyncGenerator<{ i: number; delay: number }> {
          for (const item of items) {
            if (item.delay === 3) await settle(1);
            yield item;
          }
        }
        const call = (item: { i: number; delay: number }): number | Promise<number> => {
          if (item.delay === 0) return item.i;
          if (item.delay === 1) return Promise.resolve(item.i);
          return settle(item.delay - 1).then(() => item.i);
        };
        const out: number[] = [];
        const stages = [map(call, { concurrency, ordered }), map((i: number) => Promise.resolve(i), { concurrency })] as const;
        for await (const i of pipeline(asyncSource ? slowly() : items, stages, { queueSize })) out.push(i);
        const expected = items.map((item) => item.i);
        if (!ordered) out.sort((a, b) => a - b);
        assert.deepEqual(out, expected);
      },
    ),
    { numRuns: 60 },
  );
});
