import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { spawnTypeScript } from "@deckhand/crash-test";
import { createClient } from "@libsql/client";
import fc from "fast-check";
import type { HostileCase } from "./hostile_input_test_child.ts";
import { openRunStore } from "./mod.ts";

// Every case runs in a child process: before the input contract, several of these made libSQL's native layer
// abort the process (a lone surrogate reaching SQL as text that is not UTF-8), which must fail a test, not
// kill the test runner.

interface CaseOutcome {
  readonly outcome: string;
  readonly detail: string;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-hostile-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `cases` in a child process against the store at `dbPath` (created if missing). */
async function runCases(dir: string, cases: readonly HostileCase[], dbPath = join(dir, "runs.db")): Promise<CaseOutcome[]> {
  const casesPath = join(dir, `cases-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(casesPath, JSON.stringify(cases));
  const child = spawnTypeScript(new URL("./hostile_input_test_child.ts", import.meta.url), [dbPath, casesPath]);
  try {
    await child.waitForLine((line) => line === "done");
  } catch (error) {
    const last = child.lines.filter((line) => line.startsWith("case ")).length;
    throw new Error(`the child died at case ${last}: ${JSON.stringify(cases[last])?.slice(0, 300)}\n${String(error)}`);
  } finally {
    await child.kill();
  }
  const outcomes: CaseOutcome[] = [];
  for (const line of child.lines) {
    // dotAll: a detail may hold U+2028 or U+2029 (JSON.stringify leaves them raw), which "." would not match.
    const match = /^case (\d+) (\w+) (.*)$/s.exec(line);
    if (match) outcomes[Number(match[1])] = { outcome: match[2]!, detail: JSON.parse(match[3]!) as string };
  }
  // Every index, not just the length: forEach would skip the hole a line that failed to parse leaves.
  for (let i = 0; i < cases.length; i++) assert.ok(outcomes[i], `case ${i} has an outcome line: ${JSON.stringify(cases[i])?.slice(0, 300)}`);
  assert.equal(outcomes.length, cases.length, "one outcome per case");
  return outcomes;
}

/** Asserts each case was refused with `code`, and its message names the field path. */
function assertRefused(outcomes: readonly CaseOutcome[], cases: readonly HostileCase[], code: string, paths: readonly string[]): void {
  outcomes.forEach((o, i) => {
    assert.equal(o.outcome, "refused", `case ${i} ${JSON.stringify(cases[i])}: ${o.outcome} ${o.detail}`);
    assert.ok(o.detail.startsWith(`${code}:`), `case ${i}: ${o.detail}`);
    assert.ok(o.detail.includes(paths[i]!), `case ${i}: the message names ${paths[i]}: ${o.detail}`);
  });
}

const LONE = "c\ud800";

test("a lone surrogate in any id or column is refused with STORE_INVALID_RECORD and its path, never reaching libSQL", async () => {
  await withDir(async (dir) => {
    const cases: HostileCase[] = [
      { op: "createRun", id: LONE },
      { op: "createRun", id: "r-ok", protocolId: LONE },
      { op: "createProtocol", id: LONE, metadata: {} },
      { op: "addAnalysis", id: LONE, protocolId: "host", document: { commands: [], errors: [] } },
      { op: "addAnalysis", id: "a1", protocolId: LONE, document: { commands: [], errors: [] } },
      { op: "appendCommands", commands: [{ id: "ok-1", commandType: "home" }, { id: LONE, commandType: "home" }] },
      { op: "addRunAction", id: LONE },
      { op: "quarantineRun", id: LONE, code: "MIGRATION_QUARANTINED", message: "m" },
      { op: "quarantineRun", id: "q1", code: `X${LONE}`, message: "m" },
      { op: "quarantineRun", id: "q2", code: "X", message: `m${LONE}` },
      { op: "getRun", id: LONE },
      { op: "listRunsBefore", before: LONE },
    ];
    const paths = ["id", "protocolId", "id", "id", "protocolId", "commands[1].id", "action.id", "id", "code", "message", "id", "before"];
    assertRefused(await runCases(dir, cases), cases, "STORE_INVALID_RECORD", paths);
  });
});

test("a lone surrogate inside a record (value or key, raw or escaped in given text) is refused with its path", async () => {
  await withDir(async (dir) => {
    const cases: HostileCase[] = [
      { op: "appendCommands", commands: [{ id: "c1", commandType: "aspirate", params: { labware: ["x", `y${LONE}`] } }] },
      { op: "appendCommands", commands: [{ id: "c1", commandType: "aspirate", params: { [`k\udfff`]: 1 } }] },
      { op: "createProtocol", id: "p1", metadata: { author: `\udc00${LONE}` } },
      { op: "finishRun", summary: { status: "failed", errors: [{ detail: LONE }] } },
      { op: "addAnalysis", id: "a2", protocolId: "host", document: `{"commands":[],"errors":[],"name":"raw ${LONE}"}` },
      { op: "addAnalysis", id: "a3", protocolId: "host", document: '{"commands":[{"id":"x\\ud800"}],"errors":[]}' },
    ];
    const paths = ["commands[0].params.labware[1]", "commands[0].params.k", "protocol.metadata.author", "summary.errors[0].detail", "document", "document.commands[0].id"];
    assertRefused(await runCases(dir, cases), cases, "STORE_INVALID_RECORD", paths);
  });
});

test("getCommand with a lone surrogate is refused, not answered with the command whose id has U+FFFD", async () => {
  await withDir(async (dir) => {
    const cases: HostileCase[] = [
      { op: "appendCommands", commands: [{ id: "x\ufffd", commandType: "home" }] },
      { op: "getCommand", commandId: "x\ud800" },
    ];
    const outcomes = await runCases(dir, cases);
    assert.equal(outcomes[0]!.outcome, "exact", outcomes[0]!.detail);
    assertRefused(outcomes.slice(1), cases.slice(1), "STORE_INVALID_RECORD", ["commandId"]);
  });
});

test("NUL in an id or column is refused (libSQL would read it back cut at the NUL); NUL inside JSON is kept", async () => {
  await withDir(async (dir) => {
    const cases: HostileCase[] = [
      { op: "createRun", id: "a\u0000b" },
      { op: "appendCommands", commands: [{ id: "c\u0000", commandType: "home" }] },
      { op: "quarantineRun", id: "q", code: "A\u0000", message: "m" },
      { op: "appendCommands", commands: [{ id: "c-nul", commandType: "home", params: { text: "a\u0000b\u2028c", "k\u0000": 1 } }] },
    ];
    const outcomes = await runCases(dir, cases);
    assertRefused(outcomes.slice(0, 3), cases, "STORE_INVALID_RECORD", ["id", "commands[0].id", "code"]);
    assert.equal(outcomes[3]!.outcome, "exact", outcomes[3]!.detail);
  });
});

test("a run written by an older version with a command id that is not UTF-8 lists without aborting the process", async () => {
  await withDir(async (dir) => {
    const dbPath = join(dir, "runs.db");
    const store = await openRunStore({ url: `file:${dbPath}` });
    await store.createRun({ id: "old" });
    await store.appendCommands("old", [{ id: "fine", commandType: "home" }]);
    await store.close();
    // What the previous version stored for {"id":"c\ud800"}: json_each's ->> wrote the bytes 63 ED A0 80.
    const client = createClient({ url: `file:${dbPath}` });
    try {
      await client.execute(
        "INSERT INTO commands (run_id, idx, command_id, version, doc) VALUES ('old', 1, CAST(X'63EDA080' AS TEXT), 1, '{\"id\":\"c\\ud800\",\"commandType\":\"home\"}')",
      );
      await client.execute(
        "INSERT INTO commands (run_id, idx, command_id, version, doc) VALUES ('old', 2, CAST(X'64EDA080' AS TEXT), 1, '{\"id\":\"d\\ud800\"')",
      );
      await client.execute("UPDATE runs SET command_count = 3 WHERE id = 'old'");
    } finally {
      client.close();
    }
    const outcomes = await runCases(dir, [{ op: "readRun", id: "old" }], dbPath);
    assert.equal(outcomes[0]!.outcome, "exact", outcomes[0]!.detail);
  });
});

test("sizes are UTF-8 bytes: a record over the limit in bytes (not in characters) is refused with STORE_TOO_LARGE", async () => {
  await withDir(async (dir) => {
    // The child's limit is 4096 bytes per record: 1,400 "€" are 1,400 characters but 4,200 bytes.
    const euros = "€".repeat(1400);
    const cases: HostileCase[] = [
      { op: "appendCommands", commands: [{ id: "big", commandType: "comment", params: { message: euros } }] },
      { op: "createProtocol", id: "p-big", metadata: { notes: euros } },
      { op: "addAnalysis", id: "a-big", protocolId: "host", document: `{"commands":[],"errors":[],"n":"${euros}"}` },
      { op: "finishRun", summary: { status: "failed", errors: [euros] } },
      { op: "appendCommands", commands: [{ id: "€".repeat(342), commandType: "home" }] },
    ];
    assertRefused(await runCases(dir, cases), cases, "STORE_TOO_LARGE", ["commands[0]", "protocol", "document", "summary", "commands[0].id"]);
  });
});

test("a batch over the byte limit is refused whole; one under it is written whole", async () => {
  await withDir(async (dir) => {
    // maxBatchBytes 16,384 in the child: five commands of ~3,700 bytes are over, four are under.
    const batch = (n: number): HostileCase => ({
      op: "appendCommands",
      commands: Array.from({ length: n }, (_, i) => ({ id: `b${n}-${i}`, commandType: "comment", params: { message: "é".repeat(1800) } })),
    });
    const cases = [batch(5), batch(4)];
    const outcomes = await runCases(dir, cases);
    assertRefused(outcomes.slice(0, 1), cases, "STORE_TOO_LARGE", ["commands[4]"]);
    assert.equal(outcomes[1]!.outcome, "exact", outcomes[1]!.detail);
  });
});

test("a number beyond double range in a given analysis text is refused with its path, and a stored one never reads as Infinity", async () => {
  await withDir(async (dir) => {
    const cases: HostileCase[] = [
      { op: "addAnalysis", id: "inf", protocolId: "host", document: '{"commands":[{"params":{"volume":1e400}}],"errors":[]}' },
      { op: "addAnalysis", id: "ninf", protocolId: "host", document: `{"commands":[],"errors":[],"x":-${"9".repeat(400)}}` },
      // 251 integer digits and a two-digit exponent: 1e310.
      { op: "addAnalysis", id: "ninf2", protocolId: "host", document: `{"commands":[],"errors":[],"y":[1${"0".repeat(250)}e60]}` },
      { op: "addAnalysis", id: "fine", protocolId: "host", document: '{"commands":[],"errors":[],"tiny":1e-400,"big":1.7e308,"s":"1e400"}' },
    ];
    const outcomes = await runCases(dir, cases);
    assertRefused(outcomes.slice(0, 3), cases, "STORE_INVALID_RECORD", ["document.commands[0].params.volume", "document.x", "document.y[0]"]);
    assert.equal(outcomes[3]!.outcome, "exact", outcomes[3]!.detail);

    // Text already on disk (an older version, another writer) decodes to a bad record, not to Infinity.
    const dbPath = join(dir, "runs.db");
    const client = createClient({ url: `file:${dbPath}` });
    try {
      await client.execute("UPDATE analyses SET doc = '{\"commands\":[],\"errors\":[],\"x\":1e400}' WHERE id = 'fine'");
    } finally {
      client.close();
    }
    const store = await openRunStore({ url: `file:${dbPath}` });
    try {
      const analysis = await store.getAnalysis("fine");
      assert.equal(analysis.kind, "bad");
      assert.equal(analysis.kind === "bad" && analysis.dataError.code, "INVALID_STORED_DATA");
      assert.equal(await store.getAnalysisDocument("fine"), '{"commands":[],"errors":[],"x":1e400}', "the raw text is still served");
    } finally {
      await store.close();
    }
  });
});

test("commands encoded elsewhere: hand-made ids and texts that could crash, alter or lose data are refused whole", async () => {
  await withDir(async (dir) => {
    const good = (id: string, extra = ""): string => `{"id":${JSON.stringify(id)},"commandType":"home"${extra}}`;
    const cases: HostileCase[] = [
      { op: "appendEncoded", ids: ["a", "b"], texts: [good("a")] },
      { op: "appendEncoded", ids: "a", texts: good("a") },
      { op: "appendEncoded", ids: [LONE], texts: [good(LONE)] },
      { op: "appendEncoded", ids: ["n\u0000"], texts: [good("n\u0000")] },
      { op: "appendEncoded", ids: ["a"], texts: [`{"id":"a","commandType":"home","p":"x${"\ud800"}"}`] },
      { op: "appendEncoded", ids: ["a"], texts: [good("a", ',"p":"\\ud800"')] },
      { op: "appendEncoded", ids: ["a"], texts: [good("a", ',"v":1e400')] },
      { op: "appendEncoded", ids: ["a"], texts: [good("a", `,"v":1${"0".repeat(250)}e60`)] },
      { op: "appendEncoded", ids: ["a"], texts: [good("a", ',"p":"\u0000"')] },
      { op: "appendEncoded", ids: ["a"], texts: [good("b")] },
      // The message names the id, here with a raw U+2028 (JSON leaves it unescaped): the outcome line must still parse.
      { op: "appendEncoded", ids: ["a\u2028"], texts: [good("b")] },
      { op: "appendEncoded", ids: ["a"], texts: [good("a", `,"p":"${"x".repeat(5000)}"`)] },
      { op: "appendEncoded", ids: ["a"], texts: [42] },
      { op: "appendEncoded", ids: ["a", "b", "c", "d", "e"], texts: ["a", "b", "c", "d", "e"].map((id) => good(id, `,"p":"${"€".repeat(1200)}"`)) },
    ];
    const codes = [
      "STORE_INVALID_RECORD", "STORE_INVALID_RECORD", "STORE_INVALID_RECORD", "STORE_INVALID_RECORD", "STORE_INVALID_RECORD",
      "STORE_INVALID_RECORD", "STORE_INVALID_RECORD", "STORE_INVALID_RECORD", "STORE_INVALID_RECORD", "STORE_INVALID_RECORD",
      "STORE_INVALID_RECORD", "STORE_TOO_LARGE", "STORE_INVALID_RECORD", "STORE_TOO_LARGE",
    ];
    const outcomes = await runCases(dir, cases);
    outcomes.forEach((o, i) => {
      assert.equal(o.outcome, "refused", `case ${i} ${JSON.stringify(cases[i]).slice(0, 200)}: ${o.outcome} ${o.detail}`);
      assert.ok(o.detail.startsWith(`${codes[i]}:`), `case ${i}: ${o.detail}`);
    });
    // The same shapes made well: stored and read back exactly.
    const fine = await runCases(dir, [
      { op: "appendEncoded", ids: ["a", "b"], texts: [good("a", ',"p":"\\u00e9 1e400 3e215"'), good("b", ',"v":1.7e308')] },
      { op: "appendEncoded", commands: [{ id: "c", commandType: "home", params: { s: "\ud83d\ude00" } }] },
    ], join(dir, "fine.db"));
    for (const o of fine) assert.equal(o.outcome, "exact", o.detail);
  });
});

// ---- the property suite ----

const SPECIAL_UNITS = ["\ud800", "\udbff", "\udc00", "\udfff", "\u0000", "\u2028", "\u2029", "\ufffd", "😀", "€", "\\", '"', "\u001f", "é"];

/** Strings of any code units: lone surrogates, NUL, line separators, astral characters, escapes. */
const hostileString = fc.string({
  unit: fc.oneof(fc.constantFrom(...SPECIAL_UNITS), fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), fc.constantFrom("a", "b", "1")),
  maxLength: 12,
});

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileString,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("json"), { maxLength: 4 }),
    fc.dictionary(hostileString, tie("json"), { maxKeys: 4 }),
  ),
}));

/** Occasionally huge (over the child's 4,096-byte record limit) or deeper than the 512 limit. */
const payload = fc.oneof(
  { weight: 8, arbitrary: json },
  { weight: 1, arbitrary: fc.constantFrom("x".repeat(5000), "€".repeat(1500), "😀".repeat(1100)) },
  { weight: 1, arbitrary: fc.constantFrom(nested(600), nested(510)) },
);

const idArb = fc.oneof({ weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: fc.uuid() });

const numberText = fc.constantFrom("1e400", "-1e400", "1e308", "1e-400", "123", `1${"0".repeat(400)}`, "-0", "0.1");

const hostileCase: fc.Arbitrary<HostileCase> = fc.oneof(
  idArb.map((id): HostileCase => ({ op: "createRun", id })),
  fc.record({ id: idArb, metadata: fc.dictionary(hostileString, payload, { maxKeys: 3 }) }).map((r): HostileCase => ({ op: "createProtocol", ...r })),
  fc.record({ id: idArb, document: fc.record({ commands: fc.array(payload, { maxLength: 3 }), errors: fc.constant([]), x: payload }) }).map(
    (r): HostileCase => ({ op: "addAnalysis", id: r.id, protocolId: "host", document: r.document }),
  ),
  fc.record({ id: idArb, name: hostileString, number: numberText, raw: fc.boolean() }).map((r): HostileCase => {
    // Given text: strings either JSON-escaped (lone surrogates become \udXXX escapes) or raw, and numbers as written.
    const name = r.raw ? `"${r.name.replace(/["\\\u0000-\u001f]/g, "")}"` : JSON.stringify(r.name);
    return { op: "addAnalysis", id: r.id, protocolId: "host", document: `{"commands":[{"n":${r.number}}],"errors":[],"name":${name}}` };
  }),
  fc
    .array(fc.record({ id: idArb, commandType: fc.oneof(hostileString, fc.constant("aspirate")), params: payload }), { maxLength: 5 })
    .map((commands): HostileCase => ({ op: "appendCommands", commands })),
  fc
    .array(fc.record({ id: idArb, commandType: fc.oneof(hostileString, fc.constant("aspirate")), params: payload }), { maxLength: 5 })
    .map((commands): HostileCase => ({ op: "appendEncoded", commands })),
  // Hand-made encoded commands: texts as JSON.stringify writes them, then perhaps damaged.
  fc
    .array(
      fc.record({ id: idArb, params: payload, damage: fc.constantFrom("none", "none", "truncate", "rawLone", "escLone", "inf", "nul", "otherId") }),
      { maxLength: 4 },
    )
    .map((items): HostileCase => {
      const ids = items.map((item) => item.id);
      const texts = items.map(({ id, params, damage }) => {
        const text = JSON.stringify({ id, commandType: "aspirate", params }) ?? "{}";
        switch (damage) {
          case "truncate":
            return `${text.slice(0, Math.max(1, text.length - 3))}}`;
          case "rawLone":
            return `${text.slice(0, -1)},"z":"\ud800"}`;
          case "escLone":
            return `${text.slice(0, -1)},"z":"\\udc00"}`;
          case "inf":
            return `${text.slice(0, -1)},"z":-1e999}`;
          case "nul":
            return `${text.slice(0, -1)},"z":"\u0000"}`;
          case "otherId":
            return JSON.stringify({ id: `${id}x`, commandType: "aspirate" });
          default:
            return text;
        }
      });
      return { op: "appendEncoded", ids, texts };
    }),
  fc.record({ status: fc.constantFrom("succeeded", "failed", "stopped"), errors: fc.array(payload, { maxLength: 2 }), extra: payload }).map(
    (summary): HostileCase => ({ op: "finishRun", summary }),
  ),
  idArb.map((id): HostileCase => ({ op: "addRunAction", id })),
  hostileString.map((commandId): HostileCase => ({ op: "getCommand", commandId })),
  hostileString.map((id): HostileCase => ({ op: "getRun", id })),
  fc.record({ id: idArb, code: hostileString, message: hostileString }).map((r): HostileCase => ({ op: "quarantineRun", ...r })),
);

test("property: any hostile input is stored and read back exactly, or refused with a typed error and nothing written", async () => {
  const seed = Number(process.env.DECKHAND_FC_SEED ?? Date.now() % 2_147_483_647);
  const cases = fc.sample(hostileCase, { numRuns: 250, seed });
  await withDir(async (dir) => {
    const outcomes = await runCases(dir, cases);
    const counts = new Map<string, number>();
    outcomes.forEach((o, i) => {
      counts.set(o.outcome, (counts.get(o.outcome) ?? 0) + 1);
      assert.ok(
        o.outcome === "exact" || o.outcome === "refused",
        `seed ${seed} (rerun with DECKHAND_FC_SEED=${seed}), case ${i}: ${o.outcome} ${o.detail}\n${JSON.stringify(cases[i]).slice(0, 2000)}`,
      );
    });
    // The suite must exercise both outcomes, or it proves nothing.
    assert.ok((counts.get("exact") ?? 0) > 20 && (counts.get("refused") ?? 0) > 20, `seed ${seed}: ${JSON.stringify([...counts])}`);
  });
});
