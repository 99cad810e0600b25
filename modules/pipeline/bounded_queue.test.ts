import assert from "node:assert/strict";
import { test } from "node:test";
import { BoundedQueue } from "./bounded_queue.ts";

test("the queue is FIFO across many wrap-arounds of its ring buffer", async () => {
  const queue = new BoundedQueue<number>(3);
  const out: number[] = [];
  for (let i = 0; i < 20; i += 2) {
    queue.push(i);
    queue.push(i + 1);
    out.push((await queue.next()).value as number);
    queue.takeAvailable(out, 10);
  }
  assert.deepEqual(out, Array.from({ length: 20 }, (_, i) => i));
  assert.equal(queue.pushed, 20);
  assert.equal(queue.taken, 20);
});

test("hasRoom turns false at capacity and waitForRoom resolves once the reader takes an item", async () => {
  const queue = new BoundedQueue<string>(2);
  queue.push("a");
  queue.push("b");
  assert.equal(queue.hasRoom, false);
  let roomy = false;
  const room = queue.waitForRoom().then(() => {
    roomy = true;
  });
  await Promise.resolve();
  assert.equal(roomy, false);
  assert.deepEqual(await queue.next(), { done: false, value: "a" });
  await room;
  assert.equal(queue.hasRoom, true);
  assert.equal(queue.buffered, 1);
});

test("a waiting reader gets the next pushed item directly, and done after end()", async () => {
  const queue = new BoundedQueue<number>(1);
  const first = queue.next();
  const second = queue.next();
  queue.push(7);
  queue.push(8);
  assert.deepEqual(await first, { done: false, value: 7 });
  assert.deepEqual(await second, { done: false, value: 8 });
  const third = queue.next();
  queue.end();
  assert.deepEqual(await third, { done: true, value: undefined });
});

test("end() still lets the reader take what is buffered", async () => {
  const queue = new BoundedQueue<number>(4);
  queue.push(1);
  queue.push(2);
  queue.end();
  assert.deepEqual(await queue.next(), { done: false, value: 1 });
  assert.deepEqual(await queue.next(), { done: false, value: 2 });
  assert.equal((await queue.next()).done, true);
});

test("close() by the reader cancels the producer, wakes it and drops what was buffered", async () => {
  const queue = new BoundedQueue<number>(1);
  queue.push(1);
  const room = queue.waitForRoom();
  await queue.close();
  await room;
  assert.equal(queue.cancelled, true);
  queue.push(2);
  assert.equal(queue.pushed, 1, "pushes after close are dropped");
  assert.equal((await queue.next()).done, true);
});

test("abort() rejects waiting and later reads with the reason and wakes the producer", async () => {
  const queue = new BoundedQueue<number>(1);
  const waiting = queue.next();
  queue.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  await assert.rejects(queue.next(), /stop/);
  assert.equal(queue.cancelled, true);
  assert.equal(queue.takeAvailable([], 5), 0);
  await queue.waitForRoom();
});
