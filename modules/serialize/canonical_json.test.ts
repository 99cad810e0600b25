import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import fc from "fast-check";
import { canonicalJson, contentHash, NotJsonError } from "./mod.ts";

/** Builds a double from its IEEE 754 bit pattern, as the RFC 8785 Appendix B table gives it. */
function fromIeeeHex(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

async function webCryptoSha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

describe("canonicalJson (RFC 8785)", () => {
  test("numbers serialize as in the RFC 8785 Appendix B table", () => {
    const table: [string, string][] = [
      ["0000000000000000", "0"],
      ["8000000000000000", "0"],
      ["0000000000000001", "5e-324"],
      ["8000000000000001", "-5e-324"],
      ["7fefffffffffffff", "1.7976931348623157e+308"],
      ["ffefffffffffffff", "-1.7976931348623157e+308"],
      ["4340000000000000", "9007199254740992"],
      ["c340000000000000", "-9007199254740992"],
      ["4430000000000000", "295147905179352830000"],
      ["44b52d02c7e14af5", "9.999999999999997e+22"],
      ["44b52d02c7e14af6", "1e+23"],
      ["44b52d02c7e14af7", "1.0000000000000001e+23"],
      ["444b1ae4d6e2ef4e", "999999999999999700000"],
      ["444b1ae4d6e2ef4f", "999999999999999900000"],
      ["444b1ae4d6e2ef50", "1e+21"],
      ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
      ["3eb0c6f7a0b5ed8d", "0.000001"],
      ["41b3de4355555553", "333333333.3333332"],
      ["41b3de4355555554", "333333333.33333325"],
      ["41b3de4355555555", "333333333.3333333"],
      ["41b3de4355555556", "333333333.3333334"],
      ["41b3de4355555557", "333333333.33333343"],
      ["becbf647612f3696", "-0.0000033333333333333333"],
      ["43143ff3c1cb0959", "1424953923781206.2"],
    ];
    for (const [hex, expected] of table) {
      assert.equal(canonicalJson(fromIeeeHex(hex)), expected, hex);
    }
    assert.equal(canonicalJson(1e-7), "1e-7");
    assert.equal(canonicalJson(-0), "0");
  });

  test("NaN and Infinity (Appendix B 7fffffffffffffff, 7ff0000000000000) throw NotJsonError", () => {
    for (const hex of ["7fffffffffffffff", "7ff0000000000000"]) {
      assert.throws(() => canonicalJson(fromIeeeHex(hex)), NotJsonError, hex);
    }
  });

  test("the RFC 8785 section 3.2.2 example canonicalizes byte for byte", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n' +
        ' "literals": [null, true, false]}',
    ) as unknown;
    const expected = '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
      '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}';
    assert.equal(canonicalJson(input), expected);
  });

  test("the RFC 8785 section 3.2.3 example sorts keys by UTF-16 code units", () => {
    const input = JSON.parse(
      '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", ' +
        '"1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", ' +
        '"\\u00f6": "Latin Small Letter O With Diaeresis"}',
    ) as Record<string, string>;
    const canonical = canonicalJson(input);
    const keys = Object.keys(JSON.parse(canonical) as object);
    // Object.keys would put "1" first anyway (integer-like keys), so compare the order within the text.
    const order = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"];
    const positions = order.map((key) => canonical.indexOf(JSON.stringify(key) + ":"));
    assert.deepEqual([...positions].sort((a, b) => a - b), positions);
    assert.equal(keys.length, order.length);
    assert.equal(
      canonical,
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  test("the JCS 'weird' key set sorts and escapes like the reference implementation", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\n": "Newline",
      "1": "One",
      "\u0080": "Control\u007f",
      "\ud83d\ude02": "Smiley",
      "\u00f6": "Latin Small Letter O With Diaeresis",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "</script>": "Browser Challenge",
    };
    assert.equal(
      canonicalJson(input),
      '{"\\n":"Newline","\\r":"Carriage Return","1":"One","</script>":"Browser Challenge",' +
        '"\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
        '"\ud83d\ude02":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  test("control characters use the short escapes or lowercase \\u00xx, everything else is literal", () => {
    const all = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join("") + '"\\/\u007f\u2028';
    assert.equal(
      canonicalJson(all),
      '"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f' +
        '\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f' +
        '\\"\\\\/\u007f\u2028"',
    );
  });

  test("lone surrogates, bigint, functions, class instances, undefined in arrays and cycles throw NotJsonError", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of ["\ud800", { "\udc00": 1 }, 1n, () => 1, new Date(0), new Map(), [undefined], undefined, Symbol("s"), cyclic]) {
      assert.throws(() => canonicalJson(bad), (error: unknown) => error instanceof NotJsonError && error.code === "SERIALIZE_NOT_JSON");
    }
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    assert.throws(() => canonicalJson(deep), NotJsonError, "nesting past the stack is refused, not a RangeError");
    assert.throws(() => canonicalJson({ toJSON: () => "x" }), NotJsonError);
  });

  test("a literal backslash-u text is not mistaken for a lone surrogate, and a lone surrogate after a backslash is", () => {
    assert.equal(canonicalJson({ path: "C:\\ud800" }), '{"path":"C:\\\\ud800"}');
    assert.throws(() => canonicalJson(["\\\ud800"]), NotJsonError);
    assert.throws(() => canonicalJson({ ["a\udfff"]: 1 }), NotJsonError);
  });

  test("integer-like keys sort as strings, not in JavaScript's numeric property order", () => {
    assert.equal(canonicalJson({ 10: 1, 2: 2, 1: 3, a: 4, "": 5 }), '{"":5,"1":3,"10":1,"2":2,"a":4}');
    assert.equal(canonicalJson({ x: [{ 9: true, 10: false }] }), '{"x":[{"10":false,"9":true}]}');
  });

  test("agrees with a plain recursive reference serializer, integer-like keys included (property)", () => {
    const reference = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
      if (typeof value === "object" && value !== null) {
        const record = value as Record<string, unknown>;
        const keys = Object.keys(record).sort().filter((key) => record[key] !== undefined);
        return `{${keys.map((key) => `${JSON.stringify(key)}:${reference(record[key])}`).join(",")}}`;
      }
      return JSON.stringify(value);
    };
    const values = fc.object({
      key: fc.oneof(fc.string(), fc.nat(30).map(String)),
      maxDepth: 4,
      values: [fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true })],
    });
    fc.assert(
      fc.property(values, (value) => {
        assert.equal(canonicalJson(value), reference(value));
      }),
      { numRuns: 500 },
    );
  });

  test("keys set to undefined are omitted and null-prototype objects are plain data", () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.b = 1;
    bare.a = undefined;
    assert.equal(canonicalJson({ x: bare, y: undefined }), '{"x":{"b":1}}');
  });

  test("canonical text parses back to the same value and ignores key order (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const canonical = canonicalJson(value);
        assert.deepEqual(JSON.parse(canonical), JSON.parse(JSON.stringify(value)));
        assert.equal(canonicalJson(JSON.parse(canonical)), canonical);
        if (typeof value === "object" && value !== null && !Array.isArray(value)) {
          const reversed = Object.fromEntries(Object.entries(value).reverse());
          assert.equal(canonicalJson(reversed), canonical);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("contentHash", () => {
  test("is the SHA-256 hex of the canonical UTF-8 bytes", async () => {
    assert.equal(contentHash({}), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    const value = { "\u20ac": ["\ud83d\ude00", 1e21, -0], a: { z: null, y: true } };
    assert.equal(contentHash(value), await webCryptoSha256Hex(canonicalJson(value)));
  });

  test("does not depend on key order", () => {
    assert.equal(contentHash({ a: 1, b: { c: 2, d: 3 } }), contentHash({ b: { d: 3, c: 2 }, a: 1 }));
    assert.notEqual(contentHash({ a: 1 }), contentHash({ a: 2 }));
  });

  test("hashes a real Opentrons analysis the same way WebCrypto does", async () => {
    const text = await readFile(new URL("../../fixtures/opentrons/analysis-thermocycler-error.json", import.meta.url), "utf8");
    const document = JSON.parse(text) as unknown;
    assert.equal(contentHash(document), await webCryptoSha256Hex(canonicalJson(document)));
    assert.equal(contentHash(JSON.parse(JSON.stringify(document))), contentHash(document));
  });
});
