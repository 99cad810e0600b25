import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidOptionsError, pipeline, tap } from "./mod.ts";

test("tap runs the side effect for each item, waits for it, and passes the item on unchanged", async () => {
  const written: number[] = [];
  const out: number[] = [];
  for await (const x of pipeline([1, 2, 3], [tap(async (x: number) => {
    await Promise.resolve();
    written.push(x);
  })])) {
    assert.ok(written.includes(x), "the effect finished before the item moved on");
    out.push(x);
  }
  assert.deepEqual(out, [1, 2, 3]);
  assert.deepEqual(written, [1, 2, 3]);
});

test("tap rejects an effect that is not a function", () => {
  assert.throws(() => tap(42 as unknown as () => void), InvalidOptionsError);
});
