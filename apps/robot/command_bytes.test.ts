// An acknowledged command is served as the client sent it: validated, but stored unrewritten, so GET answers
// the same JSON text (key order included; the schema's output, which puts known keys first, is not stored).
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, withRobot } from "./robot_test_support.ts";

test("a recorded command is served byte-equal: keys in the order sent, nested objects untouched", { timeout: 120_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    const run = (await call("POST", "/runs", { data: {} })).body.data.id as string;
    assert.equal((await call("POST", `/runs/${run}/actions`, { data: { actionType: "play" } })).status, 201);
    // Known keys (id, commandType) last: a schema's output would move them first.
    const one = { status: "succeeded", params: { z: 1, a: [2, { y: "ü", b: null }] }, key: "k1", createdAt: "2026-11-29T20:00:00.000Z", result: { volume: 5 }, commandType: "aspirate", id: "c1" };
    const batch = [
      { params: {}, commandType: "home", id: "c2" },
      { result: null, id: "c3", status: "failed", commandType: "dispense" },
    ];
    const postedOne = await call("POST", `/runs/${run}/commands`, `{"data":${JSON.stringify(one)}}`);
    assert.equal(postedOne.status, 201, postedOne.text);
    assert.ok(postedOne.text.startsWith(`{"data":${JSON.stringify(one)},`), postedOne.text);
    assert.equal((await call("POST", `/runs/${run}/commands`, { data: batch })).status, 201);
    for (const command of [one, ...batch]) {
      const got = await call("GET", `/runs/${run}/commands/${command.id}`);
      assert.equal(got.text, `{"data":${JSON.stringify(command)}}`);
    }
    const page = await call("GET", `/runs/${run}/commands?cursor=1&pageLength=2`);
    const summaries = batch.map(({ result: _result, ...summary }: Record<string, unknown>) => summary); // pages omit `result`
    assert.ok(page.text.startsWith(`{"data":${JSON.stringify(summaries)},`), page.text);
  });
});
