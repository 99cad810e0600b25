import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { InvalidIdError } from "./errors.ts";
import { checkId, idProblem, MAX_ID_BYTES } from "./ids.ts";

test("checkId refuses lone surrogates, control characters, paths, empty and over-long ids with ROBOT_INVALID_ID", () => {
  for (const bad of ["", "a\ud800", "\udc00", "a/b", "a\\b", "..", ".", "a\u0000b", "x\n", "é".repeat(65), 42]) {
    assert.throws(() => checkId(bad, "runId"), (error: unknown) => error instanceof InvalidIdError && error.code === "ROBOT_INVALID_ID", JSON.stringify(bad));
  }
  assert.equal(checkId("é".repeat(64), "runId"), "é".repeat(64), "128 UTF-8 bytes is the limit, not 128 characters");
  assert.equal(checkId("0a2bea7f-5fdf-4eef-bc9f-c32149bf9fd6", "runId"), "0a2bea7f-5fdf-4eef-bc9f-c32149bf9fd6");
  assert.equal(checkId("..a", "runId"), "..a");
});

test("idProblem accepts exactly the well-formed, bounded, path-free strings", () => {
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 80 }), (id) => {
    const ok = id.length > 0 && id.isWellFormed() && Buffer.byteLength(id) <= MAX_ID_BYTES && !/[\u0000-\u001f\u007f/\\]/.test(id) && id !== "." && id !== "..";
    assert.equal(idProblem(id) === undefined, ok);
  }), { numRuns: 2000 });
});
