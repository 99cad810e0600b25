import { test } from "node:test";
import assert from "node:assert/strict";
import { jsonValueProblem } from "./json_body.ts";

test("jsonValueProblem finds lone surrogates, non-finite numbers and deep nesting, with the path", () => {
  assert.deepEqual(jsonValueProblem(JSON.parse('{"a":[1,{"b":"x\\ud800"}]}'))?.path, ["a", 1, "b"]);
  assert.match(jsonValueProblem(JSON.parse('{"\\udfff":1}'))!.message, /key/);
  assert.deepEqual(jsonValueProblem(JSON.parse('{"n":[1e400]}'))?.path, ["n", 0]);
  assert.match(jsonValueProblem(JSON.parse(`${"[".repeat(300)}${"]".repeat(300)}`))!.message, /deeper than 256/);
  assert.equal(jsonValueProblem(JSON.parse(`${"[".repeat(256)}${"]".repeat(256)}`)), undefined);
  assert.equal(jsonValueProblem({ a: ["ok", 1.5, null, true, { b: "\u2028" }] }), undefined);
});

test("jsonValueProblem handles a million-element array without recursion", () => {
  assert.equal(jsonValueProblem(Array.from({ length: 1_000_000 }, (_, i) => i)), undefined);
});
