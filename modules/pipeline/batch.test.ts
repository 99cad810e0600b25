import assert from "node:assert/strict";
import { test } from "node:test";
import { batch, InvalidOptionsError, pipeline, run, type StageContext } from "./mod.ts";
import { Gate } from "./gate_test_support.ts";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

test("batch flushes on size and emits the remainder at the end, in order", async () => {
  const out = await collect(pipeline(Array.from({ length: 10 }, (_, i) => i), [batch({ size: 4 })]));
  assert.deepEqual(out, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
});

test("batch emits nothing for an empty source", async () => {
  assert.deepEqual(await collect(pipeline([], [batch({ size: 4 })])), []);
});

test("batch flushes a partial batch once its first item has waited maxWaitMs", async () => {
  const moreItems = new Gate();
  async function* trickle(): AsyncGenerator<number> {
    yield 1;
    yield 2;
    // Nothing else arrives until the test has seen the first batch: only the time flush can emit it.
    await moreItems.wait;
    yield 3;
  }
  const batches = pipeline(trickle(), [batch({ size: 100, maxWaitMs: 5 })]);
  assert.deepEqual(await batches.next(), { done: false, value: [1, 2] });
  moreItems.open();
  assert.deepEqual(await batches.next(), { done: false, value: [3] });
  assert.equal((await batches.next()).done, true);
});

test("batch keeps order when the item that lost the race against the timer arrives later", async () => {
  const gates = [new Gate(), new Gate()];
  async function* trickle(): AsyncGenerator<string> {
    yield "a";
    await gates[0]!.wait;
    yield "b";
    yield "c";
    await gates[1]!.wait;
    yield "d";
  }
  const batches = pipeline(trickle(), [batch({ size: 3, maxWaitMs: 2 })]);
  assert.deepEqual((await batches.next()).value, ["a"]);
  gates[0]!.open();
  assert.deepEqual((await batches.next()).value, ["b", "c"]);
  gates[1]!.open();
  assert.deepEqual((await batches.next()).value, ["d"]);
  assert.equal((await batches.next()).done, true);
});

test("batch works on a plain async iterable outside a pipeline", async () => {
  async function* numbers(): AsyncGenerator<number> {
    for (let i = 0; i < 5; i++) yield i;
  }
  const context: StageContext = { name: "batch", index: 0, signal: new AbortController().signal, setInFlight: () => undefined };
  assert.deepEqual(await collect(batch<number>({ size: 2 })(numbers(), context)), [[0, 1], [2, 3], [4]]);
});

test("batch over a large sync source moves every item exactly once", async () => {
  const report = await run(Array.from({ length: 100_003 }, (_, i) => i), [batch({ size: 1000 })]);
  assert.equal(report.sourceItems, 100_003);
  assert.equal(report.outputItems, 101);
});

test("batch rejects a zero, negative or fractional size and a non-positive maxWaitMs", () => {
  for (const size of [0, -1, 2.5, Number.NaN]) assert.throws(() => batch({ size }), InvalidOptionsError);
  for (const maxWaitMs of [0, -5, Number.NaN, Infinity]) {
    assert.throws(() => batch({ size: 2, maxWaitMs }), InvalidOptionsError);
  }
  assert.throws(() => batch(undefined as unknown as { size: number }), InvalidOptionsError);
});
