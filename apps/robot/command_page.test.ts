import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { commandWindow } from "./command_page.ts";

/** Opentrons' get_commands_slice, transcribed: the reference the window must agree with. */
function opentronsSlice(total: number, cursor: number | undefined, length: number): { cursor: number; ids: number[] } {
  const all = Array.from({ length: total }, (_, i) => i);
  let c = cursor ?? total - length;
  c = Math.max(0, Math.min(c, total - 1));
  const end = c + length;
  return { cursor: c, ids: all.slice(c, Math.max(c, end)) };
}

test("commandWindow agrees with Opentrons' get_commands_slice for every total, cursor and page length", () => {
  fc.assert(fc.property(fc.nat(300), fc.option(fc.integer({ min: -500, max: 500 }), { nil: undefined }), fc.integer({ min: -5, max: 400 }), (total, cursor, length) => {
    const window = commandWindow(total, cursor, length);
    const expected = opentronsSlice(total, cursor, length);
    assert.equal(window.cursor, expected.cursor);
    assert.deepEqual(Array.from({ length: window.count }, (_, i) => window.cursor + i), expected.ids);
  }), { numRuns: 2000 });
});

test("commandWindow edges: the last page by default, the last command alone past the end, empty for page length 0", () => {
  assert.deepEqual(commandWindow(100, undefined), { cursor: 80, count: 20 });
  assert.deepEqual(commandWindow(5, undefined, 20), { cursor: 0, count: 5 });
  assert.deepEqual(commandWindow(100, 100, 20), { cursor: 99, count: 1 });
  assert.deepEqual(commandWindow(100, -3, 2), { cursor: 0, count: 2 });
  assert.deepEqual(commandWindow(100, 10, 0), { cursor: 10, count: 0 });
  assert.deepEqual(commandWindow(0, undefined), { cursor: 0, count: 0 });
});
