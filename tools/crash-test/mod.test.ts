import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnTypeScript } from "./mod.ts";

test("spawnTypeScript runs a TypeScript child, reads its lines and kills it", async () => {
  const child = spawnTypeScript(new URL("./echo_test_child.ts", import.meta.url), ["hello"]);
  const line = await child.waitForLine((l) => l.startsWith("ready "));
  assert.equal(line, "ready hello");
  await child.kill();
  assert.equal(await child.exited, null);
});

test("waitForLine rejects when the child exits before the line", async () => {
  const child = spawnTypeScript(new URL("./echo_test_child.ts", import.meta.url), ["exit"]);
  await assert.rejects(child.waitForLine((l) => l === "never"), /exited/);
});
