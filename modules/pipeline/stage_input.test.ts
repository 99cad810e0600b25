import assert from "node:assert/strict";
import { test } from "node:test";
import { IteratorInput } from "./stage_input.ts";

function numbers(length: number) {
  let pulls = 0;
  let returns = 0;
  const iterator: Iterator<number> = {
    next: () => (pulls < length ? { done: false, value: pulls++ } : { done: true, value: undefined }),
    return: () => {
      returns++;
      return { done: true, value: undefined };
    },
  };
  return { iterator, pulls: () => pulls, returns: () => returns };
}

test("a sync source is pulled only as far as the stage asks", async () => {
  const source = numbers(100);
  const input = new IteratorInput(source.iterator, () => undefined);
  assert.equal(source.pulls(), 0);
  assert.deepEqual(await input.next(), { done: false, value: 0 });
  const into: number[] = [];
  assert.equal(input.takeAvailable(into, 5), 5);
  assert.deepEqual(into, [1, 2, 3, 4, 5]);
  assert.equal(source.pulls(), 6);
  assert.equal(input.taken, 6);
});

test("close() returns the source iterator once, and not at all after it ended", async () => {
  const open = numbers(10);
  const input = new IteratorInput(open.iterator, () => undefined);
  await input.next();
  await input.close();
  await input.close();
  assert.equal(open.returns(), 1);
  assert.equal((await input.next()).done, true);
  const ended = numbers(1);
  const drained = new IteratorInput(ended.iterator, () => undefined);
  assert.equal(drained.takeAvailable([], 10), 1);
  await drained.close();
  assert.equal(ended.returns(), 0);
});

test("a throwing source is reported once as the source's failure and rethrown to the stage", () => {
  const broken = new Error("bad sector");
  const reported: unknown[] = [];
  const input = new IteratorInput<number>({ next: () => {
    throw broken;
  } }, (error) => reported.push(error));
  assert.throws(() => input.takeAvailable([], 3), /bad sector/);
  assert.deepEqual(reported, [broken]);
});
