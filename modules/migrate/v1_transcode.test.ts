import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { encode } from "@msgpack/msgpack";
import { encodeCommands, MAX_BATCH_BYTES, MAX_ID_BYTES, MAX_RECORD_BYTES, StorageError } from "@deckhand/storage";
import { opentronsCommands } from "./opentrons_commands_test_support.ts";
import { decodeV1Run } from "./v1_format.ts";
import { FAST_MAX_ID_BYTES, FAST_MAX_TEXT_BYTES, MAX_FAST_BLOB_BYTES, transcodeV1Run, WORST_EXPANSION } from "./v1_transcode.ts";

/** The slow path, the reference: decode to objects, check, and encode the commands through the run store. */
function slowPath(id: string, blob: Uint8Array): unknown {
  const decoded = decodeV1Run(id, blob);
  if (decoded.kind !== "run") return decoded;
  const { commands, ...rest } = decoded;
  try {
    return { ...rest, commands: encodeCommands(commands) };
  } catch (error) {
    if (error instanceof StorageError) return { rejected: error.code };
    throw error;
  }
}

/** The fast path's promise: no answer, or exactly the slow path's answer for a run. Returns whether it answered. */
function checkAgainstSlowPath(id: string, blob: Uint8Array): boolean {
  const fast = transcodeV1Run(id, blob);
  if (fast === undefined) return false;
  assert.deepEqual(fast, slowPath(id, blob));
  return true;
}

const base = {
  formatVersion: 1,
  id: "r1",
  createdAt: "2024-03-01T10:00:00Z",
  protocolId: "p1",
  actions: [{ id: "a1", actionType: "play", createdAt: "2024-03-01T10:00:05Z" }],
  summary: { status: "succeeded", errors: [], completedAt: "2024-03-01T10:10:00Z" },
};

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** A run blob whose commands are the given MessagePack bytes, each written by hand. */
function runWithCommandBytes(commands: Uint8Array[], extraTopLevel: Uint8Array[] = []): Uint8Array {
  const entries = Object.entries(base);
  const pairs = entries.length + 1 + extraTopLevel.length / 2;
  return concat(
    new Uint8Array([0x80 | pairs]),
    ...entries.flatMap(([key, value]) => [encode(key), encode(value)]),
    ...extraTopLevel,
    encode("commands"),
    new Uint8Array([0x90 | commands.length]),
    ...commands,
  );
}

/** A map written by hand from encoded keys and values, in this order (repeats allowed). */
function mapBytes(pairs: [Uint8Array, Uint8Array][]): Uint8Array {
  return concat(new Uint8Array([0x80 | pairs.length]), ...pairs.flat());
}

const str = (text: string): Uint8Array => encode(text);

/** A string with a str8, str16 or str32 header whatever its length (encode() picks the shortest). */
function strWith(header: 0xd9 | 0xda | 0xdb, content: string | Uint8Array): Uint8Array {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  const size = header === 0xd9 ? 1 : header === 0xda ? 2 : 4;
  const head = new Uint8Array(1 + size);
  head[0] = header;
  for (let i = 0; i < size; i++) head[size - i] = (bytes.byteLength >>> (8 * i)) & 0xff;
  return concat(head, bytes);
}

test("the fast path takes real Opentrons runs and answers exactly what the slow path gives", async () => {
  const sample = await opentronsCommands();
  const commands = Array.from({ length: 2_000 }, (_, i) => ({ ...sample[i % sample.length], id: `c-${i}` }));
  const blob = encode({ ...base, commands });
  assert.equal(checkAgainstSlowPath("r1", blob), true, "the fast path answered");
  const fast = transcodeV1Run("r1", blob)!;
  assert.equal(fast.commands.texts.length, 2_000);
  assert.equal(fast.commands.texts[7], JSON.stringify(commands[7]));
});

test("keys come out in JavaScript's property order: array indexes first, ascending, then the rest in order", () => {
  const command = { id: "c1", commandType: "home", params: { b: 1, 2: "two", 1: "one", a: { 10: 0, 9: 0, z: 0 }, "01": 5, "4294967295": 6 } };
  // encode() writes the object's own order, which already has the indexes first: write the bytes' order by hand.
  const params = mapBytes([
    [str("b"), encode(1)],
    [str("2"), str("two")],
    [str("1"), str("one")],
    [str("a"), mapBytes([[str("z"), encode(0)], [str("10"), encode(0)], [str("9"), encode(0)]])],
    [str("01"), encode(5)],
    [str("4294967295"), encode(6)],
  ]);
  const blob = runWithCommandBytes([mapBytes([[str("params"), params], [str("id"), str("c1")], [str("commandType"), str("home")]])]);
  assert.equal(checkAgainstSlowPath("r1", blob), true);
  assert.equal(
    transcodeV1Run("r1", blob)!.commands.texts[0],
    JSON.stringify({ params: command.params, id: "c1", commandType: "home" }),
  );
});

test("strings are escaped as JSON.stringify escapes them, and any Unicode comes through", () => {
  const text = 'quote " backslash \\ nl \n tab \t cr \r bs \b ff \f nul \u0000 us \u001f del \u007f µL € 😀 \u2028 \ufeff';
  const blob = encode({ ...base, commands: [{ id: "c-😀", commandType: "comment", params: { message: text, [text]: text } }] });
  assert.equal(checkAgainstSlowPath("r1", blob), true);
});

test("floats, float32 and edge numbers are written as JavaScript writes them", () => {
  const numbers = [0, -0, 1.5, -2.25, 0.1, 1e21, 1e-7, 1e300, 123456789.123, 2 ** 31, -(2 ** 31), 255, 65535, -129];
  assert.equal(checkAgainstSlowPath("r1", encode({ ...base, commands: [{ id: "c1", commandType: "t", params: { numbers } }] })), true);
  const float32 = new Uint8Array([0xca, 0x3d, 0xcc, 0xcc, 0xcd]); // 0.1 as a float32
  const blob = runWithCommandBytes([mapBytes([[str("id"), str("c1")], [str("commandType"), str("t")], [str("x"), float32]])]);
  assert.equal(checkAgainstSlowPath("r1", blob), true);
});

test("what the fast path is not sure of goes to the slow path, which still answers", () => {
  const command = (extra: [Uint8Array, Uint8Array][]): Uint8Array => mapBytes([[str("id"), str("c1")], [str("commandType"), str("t")], ...extra]);
  const inRun = (commandBytes: Uint8Array): Uint8Array => runWithCommandBytes([commandBytes]);
  const cases: [string, Uint8Array][] = [
    ["a key repeated in a command", inRun(command([[str("x"), encode(1)], [str("x"), encode(2)]]))],
    ["a key repeated at the top level", runWithCommandBytes([command([])], [str("createdAt"), str("2024-03-02T00:00:00Z")])],
    ["a number as a key", inRun(command([[encode(5), encode(1)]]))],
    ["a 64-bit integer", inRun(command([[str("x"), new Uint8Array([0xcf, 0, 0, 0, 1, 0, 0, 0, 0])]]))],
    ["binary", inRun(command([[str("x"), new Uint8Array([0xc4, 1, 7])]]))],
    ["a timestamp extension", inRun(command([[str("x"), new Uint8Array([0xd6, 0xff, 0, 0, 0, 1])]]))],
    ["NaN", inRun(command([[str("x"), new Uint8Array([0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0])]]))],
    ["invalid UTF-8", inRun(command([[str("x"), new Uint8Array([0xa2, 0xc3, 0x28])]]))],
    ["an encoded surrogate", inRun(command([[str("x"), new Uint8Array([0xa3, 0xed, 0xa0, 0x80])]]))],
    ["__proto__", inRun(command([[str("__proto__"), encode(1)]]))],
    ["a long string with a byte-order mark", inRun(command([[str("x"), str(`\ufeff${"x".repeat(300)}`)]]))],
    ["an id with a quote", inRun(mapBytes([[str("id"), str('c"1')], [str("commandType"), str("t")]]))],
    ["an id over the fast path's limit", inRun(mapBytes([[str("id"), str("i".repeat(FAST_MAX_ID_BYTES + 1))], [str("commandType"), str("t")]]))],
    ["an id with NUL", inRun(mapBytes([[str("id"), str("c\u00001")], [str("commandType"), str("t")]]))],
    ["an empty commandType", inRun(mapBytes([[str("id"), str("c1")], [str("commandType"), str("")]]))],
    ["no id", inRun(mapBytes([[str("commandType"), str("t")]]))],
  ];
  for (const [name, blob] of cases) {
    assert.equal(transcodeV1Run("r1", blob), undefined, name);
    assert.notEqual(slowPath("r1", blob), undefined, name);
  }
  // Repeated command ids, a truncated blob, trailing bytes: quarantined by the slow path, never answered here.
  const good = encode({ ...base, commands: [{ id: "c1", commandType: "t" }, { id: "c2", commandType: "t" }] });
  assert.equal(checkAgainstSlowPath("r1", good), true);
  for (const blob of [encode({ ...base, commands: [{ id: "c1", commandType: "t" }, { id: "c1", commandType: "t" }] }), good.slice(0, -3), concat(good, new Uint8Array([1]))]) {
    assert.equal(transcodeV1Run("r1", blob), undefined);
    assert.equal((slowPath("r1", blob) as { kind?: string }).kind, "unreadable");
  }
  assert.ok(FAST_MAX_ID_BYTES <= MAX_ID_BYTES, "the fast path's id limit is within the run store's");
  assert.ok(FAST_MAX_TEXT_BYTES <= MAX_RECORD_BYTES, "the fast path's text limit is within the run store's");
  assert.ok(WORST_EXPANSION * MAX_FAST_BLOB_BYTES <= MAX_BATCH_BYTES, "a fast run's texts are within the store's batch limit");
});

test("found by attacking it: long string headers, index keys, __proto__ in any header, a text past the limit", () => {
  const cases: [string, Uint8Array, "answers" | "gives up"][] = [
    // An array-index key at the top of a command would move the id past where it was measured.
    ["an index key beside the id", runWithCommandBytes([mapBytes([[str("id"), str("abc")], [str("commandType"), str("t")], [str("5"), encode(1)]])]), "gives up"],
    // The id's length must be read from its own header, whatever its size.
    ["an empty id in a str8", runWithCommandBytes([mapBytes([[str("commandType"), str("t")], [str("id"), strWith(0xd9, "")]])]), "gives up"],
    ["a 2,000-byte id in a str16", runWithCommandBytes([mapBytes([[str("commandType"), str("t")], [str("id"), strWith(0xda, "i".repeat(2000))]])]), "gives up"],
    ["a short id in a str32", runWithCommandBytes([mapBytes([[str("commandType"), str("t")], [str("id"), strWith(0xdb, "c1")]])]), "answers"],
    ["__proto__ in a str8, nested", runWithCommandBytes([mapBytes([[str("id"), str("c1")], [str("commandType"), str("t")], [str("params"), mapBytes([[strWith(0xd9, "__proto__"), encode(1)]])]])]), "gives up"],
    ["__proto__ in a str16, top level", runWithCommandBytes([mapBytes([[str("id"), str("c1")], [str("commandType"), str("t")], [strWith(0xda, "__proto__"), encode(1)]])]), "gives up"],
    // Array indexes reach 2^32 - 2: past 2^31 they still come first.
    ["an index key of 2^31", runWithCommandBytes([mapBytes([[str("id"), str("c1")], [str("commandType"), str("t")], [str("p"), mapBytes([[str("x"), encode(0)], [str("2147483648"), encode(1)], [str("4294967294"), encode(2)]])]])]), "answers"],
    // 11.3 MB of control bytes become 68 MB of JSON, past the store's record limit.
    ["a text past the record limit", runWithCommandBytes([mapBytes([[str("id"), str("c1")], [str("commandType"), str("t")], [str("s"), strWith(0xdb, new Uint8Array(11_300_000).fill(1))]])]), "gives up"],
  ];
  for (const [name, blob, expected] of cases) {
    assert.equal(checkAgainstSlowPath("r1", blob) ? "answers" : "gives up", expected, name);
    assert.notEqual(slowPath("r1", blob), undefined, name);
  }
});

/** Strings made of the characters that matter to JSON text, UTF-8 and JavaScript keys. */
const tricky = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', "\\", "\n", "\u0000", "\u001f", "\u007f", "µ", "€", "😀", "\ud800", "\udc00", "\ufeff", "\u2028", "1", "0", "e"),
    fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
  ),
  maxLength: 12,
});
const key = fc.oneof(tricky, fc.constantFrom("0", "1", "01", "10", "4294967294", "4294967295", "__proto__", "id", "commandType"));
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    fc.double(),
    tricky,
    fc.constantFrom(new Uint8Array([1, 2]), new Date(0)),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.array(fc.tuple(key, tie("value")), { maxLength: 5 }).map((pairs) => {
      // Own properties even for "__proto__" (as decoded data would have).
      const object: Record<string, unknown> = {};
      for (const [name, item] of pairs) Object.defineProperty(object, name, { value: item, enumerable: true, writable: true, configurable: true });
      return object;
    }),
  ),
}));
const commandArb = fc.record(
  {
    id: fc.oneof(fc.uuid(), tricky, fc.constant(""), fc.integer()),
    commandType: fc.oneof(fc.constantFrom("aspirate", "home"), tricky),
    params: value,
    result: value,
  },
  { requiredKeys: [] },
);

test("property: over arbitrary runs, the fast path's every answer is the slow path's", () => {
  let answered = 0;
  fc.assert(
    fc.property(fc.array(commandArb, { maxLength: 6 }), fc.boolean(), (commands, withDuplicate) => {
      const list = withDuplicate && commands.length > 0 ? [...commands, commands[0]] : commands;
      if (checkAgainstSlowPath("r1", encode({ ...base, commands: list }))) answered++;
    }),
    { numRuns: 400 },
  );
  assert.ok(answered > 40, `the fast path answered ${answered} of 400 (it must take ordinary runs)`);
});

test("property: damaged bytes (a byte changed, cut short) never make the fast path answer differently", async () => {
  const sample = await opentronsCommands();
  const blob = encode({ ...base, commands: sample.slice(0, 40).map((command, i) => ({ ...command, id: `c-${i}` })) });
  fc.assert(
    fc.property(fc.nat({ max: blob.byteLength - 1 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), (at, byte, cut) => {
      const damaged = cut ? blob.slice(0, at) : blob.slice();
      if (!cut) damaged[at] = byte;
      checkAgainstSlowPath("r1", damaged);
    }),
    { numRuns: 400 },
  );
});
