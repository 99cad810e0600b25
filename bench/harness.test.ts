import assert from "node:assert/strict";
import { test } from "node:test";
import { defineSuite, runSuite } from "./harness.ts";

test("runSuite measures baseline and contenders in interleaved rounds and reports a ratio per contender", async () => {
  const calls: string[] = [];
  const busy = (ms: number): void => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };
  const suite = defineSuite({
    name: "t",
    groups: () => [
      {
        name: "g",
        baseline: { name: "A", fn: () => { calls.push("A"); busy(0.2); } },
        tasks: [
          { name: "B", fn: () => { calls.push("B"); busy(0.4); } },
          { name: "C (reference)", fn: () => { calls.push("C"); busy(0.1); } },
        ],
      },
    ],
  });
  const result = await runSuite(suite, { quick: true });
  // Collapsed to runs of one task, the five quick rounds A B C, C B A, A B C, C B A, A B C read:
  const runs = calls.filter((name, i) => i === 0 || calls[i - 1] !== name);
  assert.deepEqual(runs.join(" "), "A B C B A B C B A B C");
  const [a, b, c] = result.rows;
  assert.equal(a!.ratio, 1);
  assert.ok(Number.isFinite(b!.ratio) && b!.ratio > 0);
  assert.equal(c!.isReference, true);
  assert.equal(b!.isReference, undefined);
});
