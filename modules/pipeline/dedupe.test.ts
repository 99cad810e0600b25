import assert from "node:assert/strict";
import { test } from "node:test";
import { dedupe, InvalidOptionsError, pipeline } from "./mod.ts";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

test("dedupe drops items whose key was already seen, keeping the first", async () => {
  const runs = [{ id: "a", n: 1 }, { id: "b", n: 2 }, { id: "a", n: 3 }, { id: "c", n: 4 }, { id: "b", n: 5 }];
  const out = await collect(pipeline(runs, [dedupe((run: { id: string; n: number }) => run.id)]));
  assert.deepEqual(out.map((run) => run.n), [1, 2, 4]);
});

test("dedupe without a key compares the items themselves, and forgets between runs", async () => {
  const stage = dedupe<number>();
  assert.deepEqual(await collect(pipeline([1, 1, 2, 1, 3], [stage])), [1, 2, 3]);
  assert.deepEqual(await collect(pipeline([3, 3], [stage])), [3]);
});

test("dedupe rejects a key that is not a function", () => {
  assert.throws(() => dedupe("id" as unknown as (x: unknown) => unknown), InvalidOptionsError);
});
