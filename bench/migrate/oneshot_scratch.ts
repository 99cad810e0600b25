import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import suite from "./migrate.bench.ts";
const groups = await suite.groups({ quick: false });
const g = groups[0]!;
const rows: Record<string, number[]> = {};
for (let round = 0; round < 2; round++) {
  for (const task of [g.baseline, ...g.tasks]) {
    await task.beforeEach?.();
    const t = performance.now();
    await task.fn();
    const ms = performance.now() - t;
    (rows[task.name] ??= []).push(ms);
    console.log(round, task.name, ms.toFixed(0), "ms", Math.round(200000 / (ms / 1000)), "commands/s");
  }
}
console.log(JSON.stringify(rows));
