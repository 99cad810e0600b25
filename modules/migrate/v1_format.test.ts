import assert from "node:assert/strict";
import { test } from "node:test";
import { encode, ExtData } from "@msgpack/msgpack";
import { decodeV1Run, encodeV1Run, type V1QuarantineReason } from "./v1_format.ts";

const good = {
  formatVersion: 1,
  id: "r1",
  createdAt: "2024-03-01T10:00:00Z",
  protocolId: "p1",
  actions: [{ id: "a1", actionType: "play", createdAt: "2024-03-01T10:00:05Z" }],
  commands: [{ id: "c1", commandType: "home", params: {}, result: { position: { x: 1.5 } } }],
  summary: { status: "succeeded", errors: [], completedAt: "2024-03-01T10:10:00Z" },
};

function reasonOf(blob: Uint8Array, id = "r1"): V1QuarantineReason | "run" {
  const decoded = decodeV1Run(id, blob);
  return decoded.kind === "run" ? "run" : decoded.reason;
}

test("a well-formed v1 run decodes with ISO times, its actions, commands and summary", () => {
  const decoded = decodeV1Run("r1", encodeV1Run(good));
  assert.equal(decoded.kind, "run");
  if (decoded.kind !== "run") return;
  assert.equal(decoded.createdAt, "2024-03-01T10:00:00.000Z");
  assert.equal(decoded.startedAt, "2024-03-01T10:00:05.000Z", "from the first play action");
  assert.equal(decoded.completedAt, "2024-03-01T10:10:00.000Z");
  assert.deepEqual(decoded.commands, good.commands);
  assert.deepEqual(decoded.summary, { ...good.summary, legacyProtocolId: "p1" }, "the legacy protocol id is kept in the summary");
});

test("each kind of bad row gets its reason, and decoding never throws", () => {
  const blob = encodeV1Run(good);
  const cases: [string, Uint8Array, V1QuarantineReason][] = [
    ["truncated", blob.slice(0, blob.byteLength - 7), "truncated"],
    ["empty", new Uint8Array(0), "truncated"],
    ["garbage", new Uint8Array([0xc1, 0x00]), "undecodable"],
    ["trailing bytes", new Uint8Array([...blob, 0x01]), "undecodable"],
    ["a list, not a map", encode([1, 2]), "wrong-type"],
    ["createdAt a number", encode({ ...good, createdAt: 17e8 }), "wrong-type"],
    ["id not the row's", encode({ ...good, id: "other" }), "wrong-type"],
    ["formatVersion text", encode({ ...good, formatVersion: "1" }), "wrong-type"],
    ["unknown action", encode({ ...good, actions: [{ id: "a", actionType: "explode", createdAt: good.createdAt }] }), "wrong-type"],
    ["bad summary status", encode({ ...good, summary: { ...good.summary, status: 3 } }), "wrong-type"],
    ["future version", encode({ ...good, formatVersion: 2 }), "future-version"],
    ["commands a map", encode({ ...good, commands: { 0: good.commands[0] } }), "commands-not-list"],
    ["no summary", encode({ ...good, summary: undefined }), "interrupted"],
    ["null summary", encode({ ...good, summary: null }), "interrupted"],
    ["command without id", encode({ ...good, commands: [{ commandType: "home" }] }), "invalid-command"],
    ["repeated command id", encode({ ...good, commands: [good.commands[0], good.commands[0]] }), "invalid-command"],
  ];
  for (const [name, bytes, reason] of cases) assert.equal(reasonOf(bytes), reason, name);
});

test("hostile values are refused as not-json: binary, timestamps, extensions, NaN, Infinity, lone surrogates, deep nesting", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 300; i++) deep = [deep];
  const hostile: [string, unknown][] = [
    ["binary", new Uint8Array([1, 2, 3])],
    ["timestamp", new Date(0)],
    ["extension", new ExtData(42, new Uint8Array([1]))],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["lone surrogate", "\ud800"],
    ["deep nesting", deep],
  ];
  for (const [name, value] of hostile) {
    const blob = encode({ ...good, commands: [{ ...good.commands[0], params: { value } }] }, { maxDepth: 1000 });
    const decoded = decodeV1Run("r1", blob);
    assert.equal(decoded.kind === "unreadable" && decoded.reason, "not-json", name);
  }
  let veryDeep = new Uint8Array(200_000).fill(0x91);
  assert.notEqual(reasonOf(veryDeep), "run", "200,000 nested arrays do not overflow the stack");
  veryDeep = new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]);
  assert.ok(["truncated", "undecodable"].includes(reasonOf(veryDeep)), "a declared 4-billion-element list with no bytes is refused");
});
