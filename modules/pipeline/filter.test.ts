import assert from "node:assert/strict";
import { test } from "node:test";
import { filter, InvalidOptionsError, pipeline } from "./mod.ts";

test("filter keeps the items a sync or async predicate accepts, in order", async () => {
  const out: number[] = [];
  for await (const x of pipeline([1, 2, 3, 4, 5, 6], [filter((x: number) => x % 2 === 0), filter(async (x: number) => x > 2)])) {
    out.push(x);
  }
  assert.deepEqual(out, [4, 6]);
});

test("filter with a type guard narrows the output type", async () => {
  const out: string[] = [];
  const mixed: (string | number)[] = ["a", 1, "b", 2];
  for await (const s of pipeline(mixed, [filter((x: string | number): x is string => typeof x === "string")])) {
    out.push(s.toUpperCase());
  }
  assert.deepEqual(out, ["A", "B"]);
});

test("filter rejects a predicate that is not a function", () => {
  assert.throws(() => filter(null as unknown as (x: number) => boolean), InvalidOptionsError);
});
