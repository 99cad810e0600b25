import { test } from "node:test";
import assert from "node:assert/strict";
import type { SuiteResult } from "./harness.ts";
import { bestOf, checkRatios, withRatios } from "./regression.ts";

function result(ratio: number, quick = true): SuiteResult {
  const row = { group: "g", unit: "items", throughput: 1, medianMs: 1, samples: 3 };
  return {
    suite: "s",
    quick,
    metrics: [],
    rows: [
      { ...row, task: "base", isBaseline: true, ratio: 1 },
      { ...row, task: "ours", isBaseline: false, ratio },
    ],
  };
}

test("a ratio more than 25% below the committed one is a regression", () => {
  const committed = { quick: { "s/g/ours": 2 }, full: {} };
  assert.equal(checkRatios(result(1.49), committed)[0]!.regressed, true);
  assert.equal(checkRatios(result(1.5), committed)[0]!.regressed, false);
  assert.equal(checkRatios(result(3), committed)[0]!.regressed, false);
});

test("baselines are never checked and contenders without a committed ratio pass", () => {
  const checks = checkRatios(result(0.01), { quick: {}, full: {} });
  assert.deepEqual(checks.map((c) => [c.key, c.committed, c.regressed]), [["s/g/ours", undefined, false]]);
});

test("the mode of the run picks the committed table", () => {
  const committed = { quick: { "s/g/ours": 1 }, full: { "s/g/ours": 10 } };
  assert.equal(checkRatios(result(2, false), committed)[0]!.regressed, true);
  assert.equal(checkRatios(result(2, true), committed)[0]!.regressed, false);
});

test("bestOf keeps the best ratio of several attempts", () => {
  const committed = { quick: { "s/g/ours": 2 }, full: {} };
  const merged = bestOf([checkRatios(result(1), committed), checkRatios(result(1.9), committed)]);
  assert.equal(merged.length, 1);
  assert.equal(merged[0]!.ratio, 1.9);
  assert.equal(merged[0]!.regressed, false);
});

test("withRatios writes contender ratios into the run's mode only", () => {
  const updated = withRatios({ quick: { "x/y/z": 1 }, full: {} }, [result(1.23456, true)]);
  assert.deepEqual(updated, { quick: { "s/g/ours": 1.2346, "x/y/z": 1 }, full: {} });
});

test("withRatios keeps the lowest of repeated measurements of one contender", () => {
  const updated = withRatios({ quick: { "s/g/ours": 9 }, full: {} }, [result(1.5), result(1.2), result(1.4)]);
  assert.deepEqual(updated.quick, { "s/g/ours": 1.2 });
});

test("reference rows are shown but never checked nor written as committed ratios", () => {
  const run = result(0.1);
  const withReference: SuiteResult = {
    ...run,
    rows: [...run.rows, { ...run.rows[1]!, task: "other approach (reference)", isReference: true, ratio: 0.01 }],
  };
  const committed = { quick: { "s/g/ours": 0.1, "s/g/other approach (reference)": 5 }, full: {} };
  assert.deepEqual(checkRatios(withReference, committed).map((c) => [c.key, c.regressed]), [["s/g/ours", false]]);
  assert.equal(withRatios({ quick: {}, full: {} }, [withReference]).quick["s/g/other approach (reference)"], undefined);
});
