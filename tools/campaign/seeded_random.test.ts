import { test } from "node:test";
import assert from "node:assert/strict";
import { createSeededRandom } from "./seeded_random.ts";

test("the same seed replays the same sequence, a different seed does not", () => {
  const a = createSeededRandom(7);
  const b = createSeededRandom(7);
  const c = createSeededRandom(8);
  const seqA = Array.from({ length: 20 }, () => a.next());
  assert.deepEqual(seqA, Array.from({ length: 20 }, () => b.next()));
  assert.notDeepEqual(seqA, Array.from({ length: 20 }, () => c.next()));
  for (const x of seqA) assert.ok(x >= 0 && x < 1);
});

test("int stays within its inclusive bounds and reaches both ends", () => {
  const r = createSeededRandom(1);
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) {
    const v = r.int(3, 6);
    assert.ok(v >= 3 && v <= 6);
    seen.add(v);
  }
  assert.deepEqual([...seen].sort(), [3, 4, 5, 6]);
});

test("fork gives an independent but replayable stream", () => {
  const f1 = createSeededRandom(99).fork();
  const f2 = createSeededRandom(99).fork();
  assert.deepEqual(f1.bytes(16), f2.bytes(16));
  assert.throws(() => createSeededRandom(1).pick([]), RangeError);
});
