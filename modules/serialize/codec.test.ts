import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import fc from "fast-check";
import * as v from "valibot";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import {
  type Codec,
  DECODE_ERROR_CODES,
  type DecodeResult,
  defineCodec,
  InvalidCodecError,
  InvalidTrustedTextError,
  InvalidValueError,
  SerializeError,
} from "./mod.ts";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
const jsonSchema: v.GenericSchema<Json> = v.lazy(() =>
  v.union([v.string(), v.number(), v.boolean(), v.null(), v.array(jsonSchema), v.record(v.string(), jsonSchema)])
);
const anyJsonCodec = defineCodec({ name: "any-json", version: 1, schema: jsonSchema });

const fixturesDir = new URL("../../fixtures/opentrons/", import.meta.url);

/** Exact equality: deep-equal values (Object.is on numbers, null vs missing) and the same key order everywhere. */
function assertExactlyEqual(actual: unknown, expected: unknown): void {
  assert.deepStrictEqual(actual, expected);
  assert.equal(JSON.stringify(actual), JSON.stringify(expected));
}

/** The one change JSON makes to a JSON value: -0 becomes 0 (documented on defineCodec). */
function withoutNegativeZero<T>(value: T): T {
  if (Object.is(value, -0)) return 0 as T;
  if (Array.isArray(value)) return value.map(withoutNegativeZero) as T;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, item]) => [k, withoutNegativeZero(item)])) as T;
  }
  return value;
}

function assertDecodeFailed<T>(result: DecodeResult<T>, code: string): asserts result is Extract<DecodeResult<T>, { ok: false }> {
  assert.equal(result.ok, false, `expected ${code}, got a value`);
  if (!result.ok) {
    assert.equal(result.error.code, code, result.error.message);
    assert.ok(DECODE_ERROR_CODES.includes(result.error.code));
    assert.equal(typeof result.error.message, "string");
    assert.ok(Array.isArray(result.error.issues));
  }
}

const runSchema = v.looseObject({ id: v.string(), createdAt: v.string(), status: v.picklist(["ok", "failed", "unknown"]) });
const runCodec = defineCodec({
  name: "run",
  version: 3,
  schema: runSchema,
  upgrades: {
    1: (payload) => ({ ...(payload as object), status: "unknown" }),
    2: (payload) => {
      const record = payload as { id: unknown };
      if (typeof record.id === "number") return { ...record, id: `run-${record.id}` };
      return record;
    },
  },
});

describe("defineCodec round trips", () => {
  test("decode(encode(x)) is exactly x for generated JSON values (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const encoded = anyJsonCodec.encode(value as Json);
        assert.equal(encoded.version, 1);
        const decoded = anyJsonCodec.decode(encoded.text, encoded.version);
        assert.ok(decoded.ok, decoded.ok ? "" : decoded.error.message);
        assertExactlyEqual(decoded.value, withoutNegativeZero(value));
      }),
      { numRuns: 500 },
    );
  });

  test("round trips keep key order, null and omitted keys with a loose object schema (property)", () => {
    const record = fc.record(
      {
        id: fc.string(),
        createdAt: fc.string(),
        status: fc.constantFrom("ok" as const, "failed" as const, "unknown" as const),
        note: fc.option(fc.string(), { nil: null }),
        extra: fc.jsonValue(),
      },
      { requiredKeys: ["id", "createdAt", "status"] },
    );
    const shuffled = fc.tuple(record, fc.integer()).map(([value, seed]) => {
      const entries = Object.entries(value);
      entries.sort((a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 31 + seed) % 7));
      return Object.fromEntries(entries) as typeof value;
    });
    fc.assert(
      fc.property(shuffled, (value) => {
        const { text, version } = runCodec.encode(value);
        const decoded = runCodec.decode(text, version);
        assert.ok(decoded.ok);
        assertExactlyEqual(decoded.value, withoutNegativeZero(value));
        assert.deepEqual(Object.keys(decoded.value), Object.keys(value));
      }),
      { numRuns: 300 },
    );
  });

  test("numbers survive unchanged, including extremes and subnormals (property)", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)), (n) => {
        const decoded = anyJsonCodec.decode(anyJsonCodec.encode([n]).text, 1);
        assert.ok(decoded.ok);
        assert.ok(Object.is((decoded.value as number[])[0], n));
      }),
      { numRuns: 1000 },
    );
    for (const n of [Number.MAX_VALUE, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, 1e21, 1e-7, 0.1 + 0.2, -1.5e-300]) {
      const decoded = anyJsonCodec.decode(anyJsonCodec.encode(n).text, 1);
      assert.ok(decoded.ok && Object.is(decoded.value, n), String(n));
    }
  });

  test("-0 is stored as 0 and a key set to undefined is omitted, as JSON defines", () => {
    const decoded = anyJsonCodec.decode(anyJsonCodec.encode([-0]).text, 1);
    assert.ok(decoded.ok);
    assert.ok(Object.is((decoded.value as number[])[0], 0));
    const { text } = runCodec.encode({ id: "a", createdAt: "t", status: "ok", gone: undefined });
    assert.equal(text, '{"id":"a","createdAt":"t","status":"ok"}');
  });

  test("every Opentrons fixture document round trips exactly", async () => {
    const files = (await readdir(fixturesDir)).filter((name) => name.endsWith(".json"));
    assert.ok(files.length >= 10, `expected the fixture documents, found ${files.length}`);
    const documentCodec = defineCodec({ name: "document", version: 1, schema: v.looseObject({}) });
    for (const file of files) {
      const text = await readFile(new URL(file, fixturesDir), "utf8");
      const document = JSON.parse(text) as Record<string, unknown>;
      const encoded = documentCodec.encode(document);
      assert.equal(encoded.text, JSON.stringify(document), file);
      const decoded = documentCodec.decode(encoded.text, encoded.version);
      assert.ok(decoded.ok, file);
      assertExactlyEqual(decoded.value, document);
      assertExactlyEqual(documentCodec.trusted(encoded.text), document);
      // The stored text as Opentrons wrote it (pretty-printed) decodes to the same document.
      const fromOriginal = documentCodec.decode(text, 1);
      assert.ok(fromOriginal.ok, file);
      assertExactlyEqual(fromOriginal.value, document);
    }
  });
});

describe("defineCodec decode never throws", () => {
  const hostile: [string, string][] = [
    ["empty text", ""],
    ["whitespace", "   \n"],
    ["truncated object", '{"id":"a","createdAt":"2024'],
    ["truncated array", "[1,2,"],
    ["byte order mark", '\uFEFF{"id":"a","createdAt":"t","status":"ok"}'],
    ["binary bytes", String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))],
    ["lone surrogates", '{"id":"\uD800","createdAt":"\uDC00x","status":"ok"}\uDBFF'],
    ["10 MB of opening brackets", "[".repeat(10_000_000)],
    ["10 MB of balanced nesting", "[".repeat(5_000_000) + "]".repeat(5_000_000)],
    ["10 MB of nested objects", '{"a":'.repeat(2_000_000) + "1" + "}".repeat(2_000_000)],
    ["wrong top-level type", "[1,2,3]"],
    ["wrong field types", '{"id":1,"createdAt":null,"status":"nope"}'],
    ["a bare number", "42"],
    ["null", "null"],
    ["NaN literal", "NaN"],
  ];
  for (const [label, text] of hostile) {
    test(`decode returns INVALID_STORED_DATA for ${label} instead of throwing`, () => {
      const result = runCodec.decode(text, 3);
      assertDecodeFailed(result, "INVALID_STORED_DATA");
      assert.equal(result.raw, text);
    });
  }

  test("lone surrogates inside valid JSON strings decode as values and round trip", () => {
    const value = { id: "\uD800", createdAt: "x\uDFFF", status: "ok" as const };
    const { text, version } = runCodec.encode(value);
    const decoded = runCodec.decode(text, version);
    assert.ok(decoded.ok);
    assertExactlyEqual(decoded.value, value);
  });

  test("decode never throws and never returns a malformed result for arbitrary text and versions (property)", () => {
    const text = fc.oneof(fc.string({ unit: "binary" }), fc.jsonValue().map((j) => JSON.stringify(j)), fc.string());
    const version = fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constantFrom(Number.NaN, 1.5, Infinity));
    fc.assert(
      fc.property(text, version, (t, storedVersion) => {
        const result = runCodec.decode(t, storedVersion);
        if (result.ok) {
          assert.equal(typeof result.value.id, "string");
        } else {
          assert.ok(DECODE_ERROR_CODES.includes(result.error.code));
          assert.equal(result.raw, t);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test("non-string stored data is reported, not thrown", () => {
    for (const bad of [undefined, null, 42, new Uint8Array([123, 125]), {}]) {
      assertDecodeFailed(runCodec.decode(bad as unknown as string, 3), "INVALID_STORED_DATA");
    }
  });

  test("invalid stored versions are INVALID_STORED_DATA", () => {
    for (const version of [0, -1, 1.5, Number.NaN, "3" as unknown as number]) {
      assertDecodeFailed(runCodec.decode('{"id":"a","createdAt":"t","status":"ok"}', version), "INVALID_STORED_DATA");
    }
  });

  test("a validator that overflows the stack is reported as INVALID_STORED_DATA", () => {
    // A recursive schema with the depth bound lifted: the validator itself recurses past the stack.
    const deepCodec = defineCodec({ name: "deep", version: 1, schema: jsonSchema, limits: { maxDepth: 100_000_000 } });
    const nesting = 300_000;
    const result = deepCodec.decode("[".repeat(nesting) + "]".repeat(nesting), 1);
    assertDecodeFailed(result, "INVALID_STORED_DATA");
  });

  test("a validator that throws is reported as INVALID_STORED_DATA with the partial record", () => {
    const throwingSchema: StandardSchemaV1<unknown, { id: string }> = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: () => {
          throw new TypeError("validator bug");
        },
      },
    };
    const codec = defineCodec({ name: "throwing-schema", version: 1, schema: throwingSchema });
    const result = codec.decode('{"id":"a1","body":[]}', 1);
    assertDecodeFailed(result, "INVALID_STORED_DATA");
    assert.match(result.error.message, /validator bug/);
    assert.deepEqual(result.partial, { id: "a1" });
    assert.throws(() => codec.encode({ id: "a1" }), InvalidValueError);
  });

  test("text nested deeper than maxDepth is refused before parsing; brackets inside strings do not count", () => {
    const shallow = defineCodec({ name: "shallow", version: 1, schema: jsonSchema, limits: { maxDepth: 3 } });
    assert.ok(shallow.decode('[[["[[[[[[[[[[{{{{{{"]]]', 1).ok);
    assert.ok(shallow.decode('[[["\\"[[[[[[[[["]]]', 1).ok);
    const result = shallow.decode("[[[[]]]]", 1);
    assertDecodeFailed(result, "INVALID_STORED_DATA");
    assert.match(result.error.message, /maxDepth/);
  });

  test("text longer than maxTextLength is refused", () => {
    const small = defineCodec({ name: "small", version: 1, schema: jsonSchema, limits: { maxTextLength: 10 } });
    assertDecodeFailed(small.decode(JSON.stringify("x".repeat(20)), 1), "INVALID_STORED_DATA");
    assert.throws(() => small.encode("x".repeat(20)), InvalidValueError);
  });
});

describe("defineCodec versions and upgrades", () => {
  test("a payload from a newer version is FUTURE_VERSION with its readable fields as partial", () => {
    const result = runCodec.decode('{"id":"r9","createdAt":"2030-01-01","status":"ok","body":{"x":1}}', 4);
    assertDecodeFailed(result, "FUTURE_VERSION");
    assert.deepEqual(result.partial, { id: "r9", createdAt: "2030-01-01", status: "ok" });
    assert.equal(result.error.storedVersion, 4);
  });

  test("older payloads are upgraded one version at a time", () => {
    const fromV1 = runCodec.decode('{"id":7,"createdAt":"t"}', 1);
    assert.ok(fromV1.ok);
    assertExactlyEqual(fromV1.value, { id: "run-7", createdAt: "t", status: "unknown" });
    const fromV2 = runCodec.decode('{"id":"a","createdAt":"t","status":"ok"}', 2);
    assert.ok(fromV2.ok);
    assertExactlyEqual(fromV2.value, { id: "a", createdAt: "t", status: "ok" });
  });

  test("an upgrade that throws, is missing, or yields invalid data is UPGRADE_FAILED with a partial", () => {
    const codec = defineCodec({
      name: "thing",
      version: 4,
      schema: v.looseObject({ id: v.string(), n: v.number() }),
      upgrades: {
        2: () => {
          throw new Error("cannot convert");
        },
        3: (payload) => ({ ...(payload as object), n: "not a number" }),
      },
    });
    const missing = codec.decode('{"id":"a"}', 1);
    assertDecodeFailed(missing, "UPGRADE_FAILED");
    assert.deepEqual(missing.partial, { id: "a" });
    const threw = codec.decode('{"id":"b"}', 2);
    assertDecodeFailed(threw, "UPGRADE_FAILED");
    assert.match(threw.error.message, /cannot convert/);
    const invalid = codec.decode('{"id":"c"}', 3);
    assertDecodeFailed(invalid, "UPGRADE_FAILED");
    assert.deepEqual(invalid.error.issues.map((issue) => issue.path), [["n"]]);
  });

  test("a record cut off mid-body (text that does not parse) still yields its leading id and timestamps", () => {
    const result = runCodec.decode('{"id":"r7","createdAt":"2024-05-01T10:00:00Z","status":"ok","body":{"commands":[{"id":"c', 3);
    assertDecodeFailed(result, "INVALID_STORED_DATA");
    assert.deepEqual(result.partial, { id: "r7", createdAt: "2024-05-01T10:00:00Z", status: "ok" });
  });

  test("a corrupt body still yields the id and timestamps through the default partial", () => {
    const result = runCodec.decode('{"id":"r1","createdAt":"2024-05-01T10:00:00Z","status":42,"body":[1,2]}', 3);
    assertDecodeFailed(result, "INVALID_STORED_DATA");
    assert.deepEqual(result.partial, { id: "r1", createdAt: "2024-05-01T10:00:00Z", status: 42 });
    assert.deepEqual(result.error.issues[0]?.path, ["status"]);
  });

  test("a custom partial reader is used, and one that throws is reported in the message", () => {
    const custom = defineCodec({
      name: "custom",
      version: 1,
      schema: v.looseObject({ meta: v.looseObject({ id: v.string() }), body: v.number() }),
      partial: (payload) => ({ meta: (payload as { meta: { id: string } }).meta }),
    });
    const result = custom.decode('{"meta":{"id":"m1"},"body":"corrupt"}', 1);
    assertDecodeFailed(result, "INVALID_STORED_DATA");
    assert.deepEqual(result.partial, { meta: { id: "m1" } });
    const throwing = defineCodec({
      name: "throwing",
      version: 1,
      schema: v.object({ id: v.string() }),
      partial: () => {
        throw new Error("boom");
      },
    });
    const failed = throwing.decode("{}", 1);
    assertDecodeFailed(failed, "INVALID_STORED_DATA");
    assert.equal(failed.partial, undefined);
    assert.match(failed.error.message, /boom/);
  });

  test("an async schema is reported on decode and thrown on encode", () => {
    const asyncSchema: StandardSchemaV1<unknown, unknown> = {
      "~standard": { version: 1, vendor: "test", validate: (value) => Promise.resolve({ value }) },
    };
    const codec: Codec<unknown> = defineCodec({ name: "async", version: 1, schema: asyncSchema });
    assertDecodeFailed(codec.decode("{}", 1), "INVALID_STORED_DATA");
    assert.throws(() => codec.encode({}), InvalidCodecError);
  });
});

describe("defineCodec encode and trusted", () => {
  test("encode of a value that fails the schema throws InvalidValueError with the issues", () => {
    assert.throws(
      () => runCodec.encode({ id: 1, createdAt: "t", status: "ok" } as never),
      (error: unknown) =>
        error instanceof InvalidValueError && error instanceof SerializeError &&
        error.code === "SERIALIZE_INVALID_VALUE" && error.issues[0]?.path[0] === "id",
    );
  });

  test("encode refuses values JSON would silently change", () => {
    const loose = defineCodec({ name: "loose", version: 1, schema: v.unknown() });
    for (const bad of [Number.NaN, [Infinity], { when: new Date(0) }, [undefined], 10n, { f: () => 1 }, new Map()]) {
      assert.throws(() => loose.encode(bad), InvalidValueError, String(bad));
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => loose.encode(cyclic), InvalidValueError);
  });

  test("trusted parses without validating and throws a typed error on non-JSON", () => {
    assert.deepEqual(runCodec.trusted('{"id":1}'), { id: 1 });
    assert.throws(() => runCodec.trusted("{"), (error: unknown) =>
      error instanceof InvalidTrustedTextError && error.code === "SERIALIZE_INVALID_TRUSTED_TEXT");
  });

  test("defineCodec refuses nonsense definitions", () => {
    const schema = v.unknown();
    const bad: unknown[] = [
      { name: "", version: 1, schema },
      { name: "x", version: 0, schema },
      { name: "x", version: 1.5, schema },
      { name: "x", version: 1, schema: {} },
      { name: "x", version: 2, schema, upgrades: { 2: (p: unknown) => p } },
      { name: "x", version: 2, schema, upgrades: { 1: "nope" } },
      { name: "x", version: 1, schema, limits: { maxDepth: 0 } },
    ];
    for (const definition of bad) {
      assert.throws(() => defineCodec(definition as never), InvalidCodecError, JSON.stringify(definition));
    }
  });
});
