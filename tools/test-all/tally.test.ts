import { test } from "node:test";
import assert from "node:assert/strict";
import { denoTally, nodeTally, sumTallies } from "./tally.ts";

test("nodeTally reads the spec reporter's closing counts, cancelled counting as failed", () => {
  const output = "✔ a\nℹ tests 5\nℹ suites 0\nℹ pass 3\nℹ fail 1\nℹ cancelled 1\nℹ skipped 2\nℹ todo 0\n";
  assert.deepEqual(nodeTally(output, 1), { passed: 3, failed: 2, skipped: 2 });
});

test("nodeTally reads the tap reporter's closing counts", () => {
  assert.deepEqual(nodeTally("# pass 7\n# fail 0\n# skipped 1\n", 0), { passed: 7, failed: 0, skipped: 1 });
});

test("nodeTally counts unreadable output or a failing exit with no failures as a failure", () => {
  assert.deepEqual(nodeTally("Segmentation fault", 139), { passed: 0, failed: 1, skipped: 0 });
  assert.deepEqual(nodeTally("ℹ pass 4\nℹ fail 0\n", 1), { passed: 4, failed: 1, skipped: 0 });
});

test("denoTally reads Deno's closing line, with steps and ignored tests", () => {
  assert.deepEqual(denoTally("ok | 12 passed | 0 failed (1s)\n", 0), { passed: 12, failed: 0, skipped: 0 });
  assert.deepEqual(denoTally("FAILED | 10 passed (4 steps) | 2 failed | 1 ignored (2s)\n", 1), { passed: 10, failed: 2, skipped: 1 });
  assert.deepEqual(denoTally("error: Module not found", 1), { passed: 0, failed: 1, skipped: 0 });
});

test("denoTally and nodeTally read coloured output", () => {
  const deno = "\x1b[0m\x1b[32mok\x1b[0m | 58 passed | 0 failed \x1b[0m\x1b[38;5;245m(5s)\x1b[0m\n";
  assert.deepEqual(denoTally(deno, 0), { passed: 58, failed: 0, skipped: 0 });
  assert.deepEqual(nodeTally("\x1b[34mℹ pass 2\x1b[39m\n\x1b[34mℹ fail 0\x1b[39m\n", 0), { passed: 2, failed: 0, skipped: 0 });
});

test("sumTallies adds up every count", () => {
  assert.deepEqual(sumTallies([{ passed: 1, failed: 2, skipped: 3 }, { passed: 10, failed: 0, skipped: 1 }]), { passed: 11, failed: 2, skipped: 4 });
  assert.deepEqual(sumTallies([]), { passed: 0, failed: 0, skipped: 0 });
});
