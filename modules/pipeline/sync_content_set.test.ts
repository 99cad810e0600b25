import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AbortError, type ContentTarget, InvalidOptionsError, syncContentSet } from "./mod.ts";

const fixtures = new URL("../../fixtures/opentrons/", import.meta.url);

interface Command {
  readonly key: string;
  readonly commandType: string;
}

async function commandsOf(file: string): Promise<Command[]> {
  const analysis = JSON.parse(await readFile(new URL(file, fixtures), "utf8")) as { commands: Command[] };
  return analysis.commands;
}

interface Call {
  readonly op: "has" | "add" | "remove";
  readonly keys: readonly string[];
}

/** A real target: one JSON file per key in a directory, so the test checks what is really on disk. */
function directoryTarget(dir: string, onAdd?: (items: readonly Command[]) => void): { target: ContentTarget<Command>; calls: Call[] } {
  const calls: Call[] = [];
  const path = (key: string) => join(dir, encodeURIComponent(key));
  const target: ContentTarget<Command> = {
    async has(keys) {
      calls.push({ op: "has", keys: [...keys] });
      const present: string[] = [];
      for (const key of keys) {
        try {
          await stat(path(key));
          present.push(key);
        } catch (error) {
          if ((error as { code?: string }).code !== "ENOENT") throw error;
        }
      }
      return present;
    },
    async add(items) {
      calls.push({ op: "add", keys: items.map((item) => item.key) });
      onAdd?.(items);
      for (const item of items) await writeFile(path(item.key), JSON.stringify(item));
    },
    async *keys() {
      for (const name of await readdir(dir)) yield decodeURIComponent(name);
    },
    async remove(keys) {
      calls.push({ op: "remove", keys: [...keys] });
      for (const key of keys) await rm(path(key));
    },
  };
  return { target, calls };
}

async function keysOnDisk(dir: string): Promise<string[]> {
  return (await readdir(dir)).map(decodeURIComponent).sort();
}

function isSorted(keys: readonly string[]): boolean {
  return keys.every((key, i) => i === 0 || keys[i - 1]! < key);
}

let root: string;
let desired: Command[];
let others: Command[];
before(async () => {
  root = await mkdtemp(join(tmpdir(), "deckhand-"));
  desired = await commandsOf("analysis-zymo-ot2.json");
  others = await commandsOf("analysis-e2e-modules-ot2.json");
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function prepared(name: string, present: readonly Command[]): Promise<string> {
  const dir = await mkdtemp(join(root, `${name}-`));
  await directoryTarget(dir).target.add(present, new AbortController().signal);
  return dir;
}

test("mirror mode leaves the target holding exactly the desired keys, batched and in sorted key order", async () => {
  const already = [...desired.slice(100, 400), ...others];
  const dir = await prepared("mirror", already);
  const desiredKeys = new Set(desired.map((c) => c.key));
  const extra = new Set(already.map((c) => c.key).filter((key) => !desiredKeys.has(key)));
  const kept = already.filter((c) => desiredKeys.has(c.key)).length;
  assert.ok(extra.size > 0 && kept > 0);
  const { target, calls } = directoryTarget(dir);
  const result = await syncContentSet({ desired, key: (c) => c.key, target, mode: "mirror", batchSize: 128 });
  assert.deepEqual(result, { added: desired.length - kept, removed: extra.size, unchanged: kept });
  assert.deepEqual(await keysOnDisk(dir), [...desiredKeys].sort());
  const stored = JSON.parse(await readFile(join(dir, encodeURIComponent(desired[0]!.key)), "utf8"));
  assert.deepEqual(stored, desired[0]);
  for (const call of calls) {
    assert.ok(call.keys.length > 0 && call.keys.length <= 128, `${call.op} batch of ${call.keys.length}`);
    assert.ok(isSorted(call.keys), `${call.op} keys sorted`);
  }
  const removed = calls.filter((c) => c.op === "remove").flatMap((c) => c.keys);
  assert.ok(isSorted(removed), "removals are in sorted order across calls");
  assert.deepEqual(new Set(removed), extra);
});

test("additive mode adds the missing keys and leaves the target's other keys alone", async () => {
  const dir = await prepared("additive", [...desired.slice(0, 50), ...others]);
  const before = await keysOnDisk(dir);
  const { target, calls } = directoryTarget(dir);
  const result = await syncContentSet({ desired, key: (c) => c.key, target, mode: "additive" });
  const overlap = new Set([...desired.slice(0, 50), ...others].map((c) => c.key).filter((k) => desired.some((c) => c.key === k)));
  assert.deepEqual(result, { added: desired.length - overlap.size, removed: 0, unchanged: overlap.size });
  assert.deepEqual(await keysOnDisk(dir), [...new Set([...before, ...desired.map((c) => c.key)])].sort());
  assert.equal(calls.filter((c) => c.op === "remove").length, 0);
});

test("a second sync of the same set changes nothing, and duplicate desired keys count once", async () => {
  const dir = await prepared("again", []);
  const { target } = directoryTarget(dir);
  const twice = [...desired.slice(0, 300), ...desired.slice(0, 300)];
  const first = await syncContentSet({ desired: twice, key: (c) => c.key, target, mode: "mirror", batchSize: 64 });
  assert.deepEqual(first, { added: 300, removed: 0, unchanged: 0 });
  const second = await syncContentSet({ desired: twice, key: (c) => c.key, target, mode: "mirror", batchSize: 64 });
  assert.deepEqual(second, { added: 0, removed: 0, unchanged: 300 });
});

test("an aborted sync rejects with AbortError, and running it again completes the set", async () => {
  const dir = await prepared("aborted", []);
  const controller = new AbortController();
  let adds = 0;
  const { target } = directoryTarget(dir, () => {
    if (++adds === 3) controller.abort("shutdown");
  });
  await assert.rejects(
    syncContentSet({ desired, key: (c) => c.key, target, batchSize: 100, signal: controller.signal }),
    (error: unknown) => error instanceof AbortError && error.cause === "shutdown",
  );
  const partial = (await keysOnDisk(dir)).length;
  assert.ok(partial >= 200 && partial < desired.length, `${partial} stored before the abort`);
  const result = await syncContentSet({ desired, key: (c) => c.key, target: directoryTarget(dir).target, batchSize: 100 });
  assert.equal(result.added + result.unchanged, desired.length);
  assert.equal(result.unchanged, partial);
  assert.equal((await keysOnDisk(dir)).length, desired.length);
});

test("a failing target call rejects with its own error, naming the step", async () => {
  const refused = new Error("target is read-only");
  const target: ContentTarget<Command> = {
    has: () => [],
    add: () => Promise.reject(refused),
  };
  await assert.rejects(
    syncContentSet({ desired: desired.slice(0, 10), key: (c) => c.key, target }),
    (error: unknown) => error === refused && (error as { stage?: string }).stage === "add",
  );
});

test("nonsense options throw InvalidOptionsError before the target is touched", async () => {
  const { target, calls } = directoryTarget(root);
  const base = { desired, key: (c: Command) => c.key, target };
  const additiveOnly: ContentTarget<Command> = { has: target.has, add: target.add };
  for (const options of [
    { ...base, batchSize: 0 },
    { ...base, batchSize: -3 },
    { ...base, mode: "replace" as "mirror" },
    { ...base, target: additiveOnly, mode: "mirror" as const },
    { ...base, key: undefined as unknown as (c: Command) => string },
  ]) {
    await assert.rejects(syncContentSet(options), InvalidOptionsError);
  }
  assert.equal(calls.length, 0);
});

test("a key the target lists twice is removed once and counted once", async () => {
  const removed: string[][] = [];
  const target: ContentTarget<Command> = {
    has: () => [],
    add: () => undefined,
    // A paged listing that shifted under a concurrent write repeats a key.
    *keys() {
      yield* ["stale-b", "stale-a", "stale-b", "keep"];
    },
    remove: (keys) => {
      removed.push([...keys]);
    },
  };
  const result = await syncContentSet({ desired: [{ key: "keep", commandType: "home" }], key: (c) => c.key, target, mode: "mirror" });
  assert.deepEqual(removed, [["stale-a", "stale-b"]]);
  assert.equal(result.removed, 2);
});
