import { test } from "node:test";
import assert from "node:assert/strict";
import { leafPaths, poisonJson } from "./poisoned_json.ts";

const doc = { data: { id: "c1", n: 3, params: { wells: ["A1", "B2"], v: 1.5 } } };
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test("leafPaths finds every string leaf, number leaf and key", () => {
  assert.deepEqual(leafPaths(doc, "string"), [["data", "id"], ["data", "params", "wells", 0], ["data", "params", "wells", 1]]);
  assert.deepEqual(leafPaths(doc, "number"), [["data", "n"], ["data", "params", "v"]]);
  assert.equal(leafPaths(doc, "key").length, 6);
});

test("poisonJson replaces exactly one value or key with the given bytes, as they are", () => {
  const escaped = poisonJson(doc, ["data", "params", "wells", 1], "value", new TextEncoder().encode('"\\ud800"'));
  const parsed = JSON.parse(text(escaped)) as typeof doc;
  assert.equal(parsed.data.params.wells[1], "\ud800");
  assert.equal(parsed.data.params.wells[0], "A1");
  const number = poisonJson(doc, ["data", "n"], "value", new TextEncoder().encode("1e400"));
  assert.equal((JSON.parse(text(number)) as typeof doc).data.n, Infinity);
  const key = poisonJson(doc, ["data", "id"], "key", new TextEncoder().encode('"k\\udc00"'));
  assert.deepEqual(Object.keys((JSON.parse(text(key)) as { data: object }).data), ["k\udc00", "n", "params"]);
  const raw = poisonJson(doc, ["data", "id"], "value", new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]));
  assert.ok(raw.includes(0xed), "raw bytes are kept, not re-encoded");
  assert.throws(() => new TextDecoder("utf-8", { fatal: true }).decode(raw));
  assert.throws(() => poisonJson(doc, ["data", "missing"], "value", new Uint8Array()), RangeError);
});
