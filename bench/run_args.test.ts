import assert from "node:assert/strict";
import { test } from "node:test";
import { parseArgs } from "./run_args.ts";

test("pnpm's bare -- is skipped, so `pnpm bench -- --json F` writes to F", () => {
  const options = parseArgs(["--", "--json", "out.json", "--quick", "storage"]);
  assert.equal(options.json, "out.json");
  assert.equal(options.quick, true);
  assert.deepEqual(options.filters, ["storage"]);
});

test("an unknown option or a --json without a file is an error", () => {
  assert.throws(() => parseArgs(["--fast"]), /unknown option --fast/);
  assert.throws(() => parseArgs(["--json"]), /--json needs a file name/);
  assert.throws(() => parseArgs(["--json", "--quick"]), /--json needs a file name/);
});
