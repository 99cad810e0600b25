import assert from "node:assert/strict";
import { test } from "node:test";
import { WriterQueue } from "./writer_queue.ts";

test("WriterQueue runs jobs one at a time in submission order", async () => {
  const queue = new WriterQueue();
  const events: string[] = [];
  let running = 0;
  const job = (name: string, ticks: number) => async () => {
    running++;
    assert.equal(running, 1, "two jobs overlapped");
    events.push(`start ${name}`);
    for (let i = 0; i < ticks; i++) await Promise.resolve();
    events.push(`end ${name}`);
    running--;
    return name;
  };
  const results = await Promise.all([queue.run(job("a", 5)), queue.run(job("b", 1)), queue.run(job("c", 3))]);
  assert.deepEqual(results, ["a", "b", "c"]);
  assert.deepEqual(events, ["start a", "end a", "start b", "end b", "start c", "end c"]);
});

test("WriterQueue keeps running later jobs after one rejects", async () => {
  const queue = new WriterQueue();
  const failing = queue.run(async () => {
    throw new Error("boom");
  });
  const next = queue.run(async () => "after");
  await assert.rejects(failing, /boom/);
  assert.equal(await next, "after");
  await queue.drain();
  assert.equal(queue.pending, 0);
});

test("WriterQueue.drain waits for every submitted job", async () => {
  const queue = new WriterQueue();
  let done = false;
  void queue.run(async () => {
    await new Promise((resolve) => setImmediate(resolve));
    done = true;
  });
  assert.equal(queue.pending, 1);
  await queue.drain();
  assert.equal(done, true);
});
