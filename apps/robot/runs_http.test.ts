import { test } from "node:test";
import assert from "node:assert/strict";
import { client, spawnRobot, waitReady, withDataRoot, withRobot } from "./robot_test_support.ts";

function commands(from: number, count: number, runTag = "c") {
  return Array.from({ length: count }, (_, i) => ({
    id: `${runTag}${from + i}`, key: `k${from + i}`, commandType: "home", status: "succeeded",
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, from + i)).toISOString(), params: {}, result: { n: from + i },
  }));
}

test("runs: listed oldest first, pageLength gives the newest n, links.current names the current run", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const created = await call("POST", "/runs", { data: {} });
      assert.equal(created.status, 201);
      assert.equal(created.body.data.current, true);
      assert.equal(created.body.data.status, "idle");
      assert.ok(!("protocolId" in created.body.data), "null fields are omitted");
      ids.push(created.body.data.id);
    }
    const all = await call("GET", "/runs");
    assert.deepEqual(all.body.data.map((r: { id: string }) => r.id), ids);
    assert.deepEqual(all.body.meta, { cursor: 0, totalLength: 4 });
    assert.deepEqual(all.body.links, { current: { href: `/runs/${ids[3]}` } });
    assert.deepEqual(all.body.data.map((r: { current: boolean }) => r.current), [false, false, false, true]);
    // Creating a run archived the previous idle one as stopped.
    assert.equal(all.body.data[0].status, "stopped");
    const newest = await call("GET", "/runs?pageLength=2");
    assert.deepEqual(newest.body.data.map((r: { id: string }) => r.id), ids.slice(2));
    assert.deepEqual(newest.body.meta, { cursor: 0, totalLength: 4 });
    const bad = await call("GET", "/runs?pageLength=two");
    assert.equal(bad.status, 422);
  });
});

test("commands: default last page, clamped cursor, pageLength 0 empty, non-integer cursor 422, links.current, summaries without result", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    const run = (await call("POST", "/runs", {})).body.data.id;
    const empty = await call("GET", `/runs/${run}/commands`);
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body, { data: [], meta: { cursor: 0, totalLength: 0 } }, "no links.current without commands");
    assert.equal((await call("POST", `/runs/${run}/commands`, { data: commands(0, 1)[0] })).status, 201);
    const batch = await call("POST", `/runs/${run}/commands`, { data: commands(1, 44) });
    assert.equal(batch.status, 201);
    assert.equal(batch.body.meta.totalLength, 45);

    const last = await call("GET", `/runs/${run}/commands`);
    assert.deepEqual(last.body.meta, { cursor: 25, totalLength: 45 });
    assert.deepEqual(last.body.data.map((c: { id: string }) => c.id), commands(25, 20).map((c) => c.id));
    assert.ok(last.body.data.every((c: Record<string, unknown>) => !("result" in c)), "page items are summaries");
    const current = { href: `/runs/${run}/commands/c44`, meta: { runId: run, commandId: "c44", index: 44, key: "k44", createdAt: commands(44, 1)[0]!.createdAt } };
    assert.deepEqual(last.body.links, { current });

    const first = await call("GET", `/runs/${run}/commands?cursor=0&pageLength=10`);
    assert.deepEqual(first.body.meta, { cursor: 0, totalLength: 45 });
    assert.equal(first.body.data.length, 10);
    assert.deepEqual(first.body.links, { current }, "links.current is the same on every page");
    const pastEnd = await call("GET", `/runs/${run}/commands?cursor=500`);
    assert.deepEqual(pastEnd.body.meta, { cursor: 44, totalLength: 45 });
    assert.deepEqual(pastEnd.body.data.map((c: { id: string }) => c.id), ["c44"]);
    const atEnd = await call("GET", `/runs/${run}/commands?cursor=45&pageLength=5`);
    assert.deepEqual(atEnd.body.data.map((c: { id: string }) => c.id), ["c44"]);
    const negative = await call("GET", `/runs/${run}/commands?cursor=-7&pageLength=3`);
    assert.deepEqual(negative.body.meta, { cursor: 0, totalLength: 45 });
    assert.deepEqual(negative.body.data.map((c: { id: string }) => c.id), ["c0", "c1", "c2"]);
    const zero = await call("GET", `/runs/${run}/commands?pageLength=0`);
    assert.deepEqual(zero.body.data, []);
    const negativeLength = await call("GET", `/runs/${run}/commands?cursor=3&pageLength=-1`);
    assert.deepEqual(negativeLength.body.data, []);
    const bigPage = await call("GET", `/runs/${run}/commands?pageLength=100`);
    assert.deepEqual(bigPage.body.meta, { cursor: 0, totalLength: 45 });
    assert.equal(bigPage.body.data.length, 45);
    for (const cursor of ["1.5", "abc", ""]) {
      const invalid = await call("GET", `/runs/${run}/commands?cursor=${cursor}`);
      assert.equal(invalid.status, 422, `cursor=${cursor}`);
      assert.equal(invalid.body.errors[0].id, "InvalidRequest");
      assert.ok(Array.isArray(invalid.body.errors[0].meta.issues));
    }
    const one = await call("GET", `/runs/${run}/commands/c7`);
    assert.deepEqual(one.body.data, commands(7, 1)[0], "GET one command includes its result");
    const missing = await call("GET", `/runs/${run}/commands/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errors[0].errorCode, "4000");
    assert.equal(missing.body.errors[0].meta.code, "STORE_COMMAND_NOT_FOUND");
    const duplicate = await call("POST", `/runs/${run}/commands`, { data: commands(3, 1)[0] });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.errors[0].meta.code, "STORE_DUPLICATE_COMMAND");
  });
});

test("current run: 409 RunAlreadyActive while running, actions and their 409s, stop ends the run, PATCH archives, deletes", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    const a = (await call("POST", "/runs", {})).body.data.id;
    const pauseIdle = await call("POST", `/runs/${a}/actions`, { data: { actionType: "pause" } });
    assert.equal(pauseIdle.status, 409);
    assert.deepEqual([pauseIdle.body.errors[0].id, pauseIdle.body.errors[0].errorCode], ["RunActionNotAllowed", "3000"]);
    const play = await call("POST", `/runs/${a}/actions`, { data: { actionType: "play" } });
    assert.equal(play.status, 201);
    assert.equal(play.body.data.actionType, "play");
    assert.ok(play.body.data.id && play.body.data.createdAt);
    assert.equal((await call("GET", `/runs/${a}`)).body.data.status, "running");

    const blocked = await call("POST", "/runs", {});
    assert.equal(blocked.status, 409);
    assert.deepEqual([blocked.body.errors[0].id, blocked.body.errors[0].errorCode, blocked.body.errors[0].meta.code], ["RunAlreadyActive", "4001", "ROBOT_RUN_ALREADY_ACTIVE"]);
    const deleteRunning = await call("DELETE", `/runs/${a}`);
    assert.equal(deleteRunning.status, 409);
    assert.equal(deleteRunning.body.errors[0].id, "RunNotIdle");
    const archiveRunning = await call("PATCH", `/runs/${a}`, { data: { current: false } });
    assert.equal(archiveRunning.status, 409);

    assert.equal((await call("POST", `/runs/${a}/actions`, { data: { actionType: "pause" } })).status, 201);
    assert.equal((await call("GET", `/runs/${a}`)).body.data.status, "paused");
    assert.equal((await call("POST", "/runs", {})).status, 409, "paused is active too");
    const stop = await call("POST", `/runs/${a}/actions`, { data: { actionType: "stop" } });
    assert.equal(stop.status, 201);
    const stopped = (await call("GET", `/runs/${a}`)).body.data;
    assert.equal(stopped.status, "stopped");
    assert.equal(stopped.current, true, "a stopped run stays current until archived");
    assert.ok(stopped.completedAt);
    const playStopped = await call("POST", `/runs/${a}/actions`, { data: { actionType: "play" } });
    assert.equal(playStopped.status, 409);
    assert.equal(playStopped.body.errors[0].errorCode, "3000");
    const commandsAfterStop = await call("POST", `/runs/${a}/commands`, { data: commands(0, 1)[0] });
    assert.equal(commandsAfterStop.status, 409);

    const archived = await call("PATCH", `/runs/${a}`, { data: { current: false } });
    assert.equal(archived.status, 200);
    assert.equal(archived.body.data.current, false);
    assert.ok(!("links" in (await call("GET", "/runs")).body), "no current run after archiving");
    const notCurrent = await call("POST", `/runs/${a}/actions`, { data: { actionType: "play" } });
    assert.equal(notCurrent.status, 409);
    assert.equal(notCurrent.body.errors[0].id, "RunNotCurrent");
    assert.equal((await call("POST", `/runs/${a}/commands`, { data: commands(0, 1)[0] })).status, 409);
    assert.equal((await call("PATCH", `/runs/${a}`, { data: { current: true } })).status, 422);

    const b = (await call("POST", "/runs", {})).body.data.id;
    const finished = await call("PUT", `/runs/${b}/summary`, { data: { status: "failed", errors: [{ id: "e1", errorType: "X" }], pipettes: [{ id: "p" }] } });
    assert.equal(finished.status, 200);
    assert.equal(finished.body.data.status, "failed");
    assert.deepEqual(finished.body.data.pipettes, [{ id: "p" }]);
    assert.deepEqual(finished.body.data.errors, [{ id: "e1", errorType: "X" }]);

    const deleted = await call("DELETE", `/runs/${b}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body, {});
    const gone = await call("GET", `/runs/${b}`);
    assert.equal(gone.status, 404);
    assert.deepEqual([gone.body.errors[0].id, gone.body.errors[0].errorCode, gone.body.errors[0].meta.code], ["RunNotFound", "4000", "STORE_RUN_NOT_FOUND"]);
    assert.ok(!("links" in (await call("GET", "/runs")).body), "deleting the current run leaves none current");
    const unknownProtocol = await call("POST", "/runs", { data: { protocolId: "no-such-protocol" } });
    assert.equal(unknownProtocol.status, 404);
    assert.equal(unknownProtocol.body.errors[0].id, "ProtocolNotFound");
  });
});

test("restart: no run is current, the unfinished current run is a bad run (4008) listed and deletable, finished and archived runs stay good", { timeout: 180_000 }, async () => {
  await withDataRoot(async (dataRoot) => {
    let robot = await spawnRobot(dataRoot);
    await waitReady(robot);
    let call = client(robot);
    const archived = (await call("POST", "/runs", {})).body.data.id;
    await call("POST", `/runs/${archived}/commands`, { data: commands(0, 3) }); // recording commands sets it running
    assert.equal((await call("POST", `/runs/${archived}/actions`, { data: { actionType: "stop" } })).status, 201);
    assert.equal((await call("PATCH", `/runs/${archived}`, { data: { current: false } })).status, 200);
    const finished = (await call("POST", "/runs", {})).body.data.id;
    await call("PUT", `/runs/${finished}/summary`, { data: { status: "succeeded", errors: [] } });
    const interrupted = (await call("POST", "/runs", {})).body.data.id;
    await call("POST", `/runs/${interrupted}/actions`, { data: { actionType: "play" } });
    await call("POST", `/runs/${interrupted}/commands`, { data: commands(0, 5) });
    assert.equal(await robot.stop("SIGKILL"), null);

    robot = await spawnRobot(dataRoot);
    try {
      await waitReady(robot);
      call = client(robot);
      const list = await call("GET", "/runs");
      assert.equal(list.status, 200);
      assert.ok(!("links" in list.body), "no run is current after a restart");
      const byId = new Map(list.body.data.map((r: { id: string }) => [r.id, r]));
      const bad = byId.get(interrupted) as Record<string, any>;
      assert.equal(bad.current, false);
      assert.equal(bad.dataError.errorCode, "4008");
      assert.equal(bad.dataError.meta.code, "RUN_INTERRUPTED");
      assert.ok(bad.dataError.id && bad.dataError.title && bad.dataError.detail);
      const one = await call("GET", `/runs/${interrupted}`);
      assert.equal(one.status, 200);
      assert.equal(one.body.data.dataError.errorCode, "4008");
      assert.equal((await call("GET", `/runs/${interrupted}/commands`)).body.meta.totalLength, 5, "its commands are still readable");
      for (const good of [archived, finished]) assert.ok(!("dataError" in (byId.get(good) as object)), `run ${good} stays good`);
      assert.equal((byId.get(finished) as { status: string }).status, "succeeded");
      const deleted = await call("DELETE", `/runs/${interrupted}`);
      assert.equal(deleted.status, 200);
      assert.deepEqual(deleted.body, {});
      assert.equal((await call("GET", `/runs/${interrupted}`)).status, 404);
      assert.equal((await call("GET", "/runs")).body.meta.totalLength, 2);
    } finally {
      await robot.stop();
    }
  });
});
