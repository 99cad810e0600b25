import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { salvageFields } from "./salvage_fields.ts";

type Scalar = string | number | boolean | null;

function topLevelScalars(value: Record<string, unknown>): Record<string, Scalar> {
  const picked: Record<string, Scalar> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null || ["string", "number", "boolean"].includes(typeof item)) {
      Object.defineProperty(picked, key, { value: item, enumerable: true, writable: true, configurable: true });
    }
  }
  return picked;
}

const records = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 });

describe("salvageFields", () => {
  test("reads the id and timestamps of a record whose body is cut off", () => {
    const text = '{"id":"r1","createdAt":"2024-05-01T10:00:00Z","attempt":2,"ok":false,"body":{"commands":[{"id":"c1","params":{"x":';
    assert.deepEqual(salvageFields(text), { id: "r1", createdAt: "2024-05-01T10:00:00Z", attempt: 2, ok: false });
  });

  test("skips nested values, including brackets and escaped quotes inside strings", () => {
    const text = '{"a":[1,{"b":"]}\\"["}],"id":"x\\"y","n":null,"o":{"deep":[[["}"]]]},"t":true,"cut":"abc';
    assert.deepEqual(salvageFields(text), { id: 'x"y', n: null, t: true });
  });

  test("does not trust a number that runs into the end of the text", () => {
    assert.deepEqual(salvageFields('{"id":"a","size":1234'), { id: "a" });
  });

  test("multi-megabyte string and number tokens are handled without exhausting any stack", () => {
    const big = "a\\n\\u0041".repeat(1_000_000);
    const text = `{"id":"${big}","n":${"1".repeat(1_000_000)},"ok":true,"cut":[`;
    assert.deepEqual(salvageFields(text), { id: "a\nA".repeat(1_000_000) });
    assert.deepEqual(salvageFields(`{"id":"${"x".repeat(10_000_000)}","t":1}`), { id: "x".repeat(10_000_000), t: 1 });
  });

  test("returns undefined for text that is not an object or has no readable field", () => {
    for (const text of ["", "[1,2]", "garbage", '{"body":{"x"', "\uFEFF{\"id\":\"a\"}", '{"id":'.repeat(100_000)]) {
      assert.equal(salvageFields(text), undefined, text.slice(0, 20));
    }
  });

  test("every field it reads from any prefix of a JSON object is the original field (property)", () => {
    fc.assert(
      fc.property(records, fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true }), (record, pretty, at) => {
        const text = pretty ? JSON.stringify(record, null, 2) : JSON.stringify(record);
        // JSON's own normalization (-0 becomes 0) applies to the expected fields too.
        const expected = topLevelScalars(JSON.parse(text) as Record<string, unknown>);
        const cut = text.slice(0, Math.floor(text.length * at));
        for (const [key, value] of Object.entries(salvageFields(cut) ?? {})) {
          assert.ok(Object.hasOwn(expected, key), `salvaged key ${JSON.stringify(key)} is not a top-level scalar`);
          assert.ok(Object.is(value, expected[key]), `salvaged ${key}`);
        }
        const whole = salvageFields(text) ?? {};
        assert.deepEqual(whole, Object.keys(expected).length ? expected : {});
      }),
      { numRuns: 500 },
    );
  });
});
