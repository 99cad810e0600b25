import assert from "node:assert/strict";
import { test } from "node:test";
import { batch, flat, pipeline } from "./mod.ts";

test("flat emits every element of arrays, sets and async iterables, in order", async () => {
  async function* ab(): AsyncGenerator<string> {
    yield "a";
    yield "b";
  }
  const out: string[] = [];
  for await (const x of pipeline<Iterable<string> | AsyncIterable<string>, string>([["x", "y"], new Set(["z"]), [], ab()], [flat<string>()])) {
    out.push(x);
  }
  assert.deepEqual(out, ["x", "y", "z", "a", "b"]);
});

test("flat undoes batch", async () => {
  const out: number[] = [];
  for await (const x of pipeline(Array.from({ length: 25 }, (_, i) => i), [batch({ size: 7 }), flat<number>()])) out.push(x);
  assert.deepEqual(out, Array.from({ length: 25 }, (_, i) => i));
});
