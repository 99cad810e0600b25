import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { McapIndexedReader } from "@mcap/core";
import { writeV1Fixture } from "@deckhand/migrate";
import { client, spawnRobot, waitReady, withDataRoot } from "./robot_test_support.ts";

async function sampleCommands(): Promise<Record<string, unknown>[]> {
  const analysis = JSON.parse(await readFile(new URL("../../fixtures/opentrons/analysis-thermocycler-error.json", import.meta.url), "utf8"));
  return analysis.commands;
}

test("health: 503 with the migration progress while a (deliberately slow) v1 migration runs, then 200; quarantined records are bad runs, deletable", { timeout: 180_000 }, async () => {
  await withDataRoot(async (dataRoot) => {
    const fixture = await writeV1Fixture({ root: dataRoot, runs: 12, commandsPerRun: 20, corrupt: 0.25, seed: 3, sampleCommands: await sampleCommands() });
    const robot = await spawnRobot(dataRoot, [], { DECKHAND_TEST_BOOT_DELAY_MS: "4000" });
    try {
      const migrating = await fetch(`${robot.url}/health`);
      assert.equal(migrating.status, 503, "the server listens before the migration ends");
      const body = await migrating.json() as { status: string; migration?: { phase: string; done: number; total: number } };
      assert.equal(body.status, "migrating");
      assert.equal(typeof body.migration?.phase, "string");
      const api = await fetch(`${robot.url}/runs`);
      assert.equal(api.status, 503);
      const envelope = await api.json() as { errors: { meta: { code: string } }[] };
      assert.equal(envelope.errors[0]!.meta.code, "ROBOT_MIGRATING");
      await waitReady(robot);
      const health = await (await fetch(`${robot.url}/health`)).json() as Record<string, any>;
      assert.equal(health.status, "ok");
      assert.equal(health.versions.dataVersion, 2);
      assert.equal(health.migratedFrom, 1);
      const call = client(robot);
      const runs = await call("GET", "/runs");
      assert.equal(runs.body.meta.totalLength, 12);
      const quarantinedIds = Object.values(fixture.corrupt).flat().filter((id) => !fixture.corrupt.interrupted.includes(id));
      const bad = runs.body.data.filter((r: { dataError?: unknown }) => r.dataError);
      assert.ok(bad.length >= quarantinedIds.length && quarantinedIds.length > 0, `bad runs: ${bad.length}`);
      for (const run of bad) assert.equal(run.dataError.errorCode, "4008");
      const quarantined = bad.find((r: { dataError: { meta: { code: string } } }) => r.dataError.meta.code === "MIGRATION_QUARANTINED");
      assert.ok(quarantined, "a quarantined record is listed as a bad run");
      assert.equal((await call("DELETE", `/runs/${quarantined.id}`)).status, 200);
      assert.equal((await call("GET", `/runs/${quarantined.id}`)).status, 404);
    } finally {
      await robot.stop();
    }
  });
});

async function readEvents(url: string, want: (name: string, data: any) => boolean, signal: AbortSignal): Promise<{ name: string; data: any }[]> {
  const response = await fetch(url, { signal });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  const events: { name: string; data: any }[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (name === undefined || data === undefined) continue;
      const event = { name, data: JSON.parse(data) };
      events.push(event);
      if (want(event.name, event.data)) {
        await reader.cancel();
        return events;
      }
    }
  }
}

test("events: run changes, batched collector samples, collector stats and system figures arrive over SSE", { timeout: 180_000 }, async () => {
  await withDataRoot(async (dataRoot) => {
    const robot = await spawnRobot(dataRoot);
    try {
      await waitReady(robot);
      const call = client(robot);
      const abort = new AbortController();
      const seen = new Set<string>();
      let runId = "";
      let connected: () => void = () => undefined;
      const hello = new Promise<void>((resolve) => (connected = resolve));
      const events = readEvents(`${robot.url}/events`, (name, data) => {
        if (name === "hello") connected();
        if (name === "run" && data.runId === runId) seen.add(`run:${data.kind}`);
        else seen.add(name);
        return ["run:created", "run:commands", "samples", "collectors", "system"].every((k) => seen.has(k));
      }, abort.signal);
      // Change nothing before the stream is open: its first event, hello, is sent on connect.
      await hello;
      runId = (await call("POST", "/runs", {})).body.data.id;
      await call("POST", `/runs/${runId}/commands`, { data: [{ id: "c1", commandType: "home" }] });
      const received = await events;
      const commands = received.find((e) => e.name === "run" && e.data.kind === "commands");
      assert.equal(commands?.data.commandCount, 1);
      assert.equal(typeof commands?.data.seq, "number");
      const samples = received.find((e) => e.name === "samples")!;
      assert.equal(samples.data.collector, "temp-module");
      assert.ok(samples.data.samples.length >= 1, "samples are batched");
      assert.equal(typeof samples.data.samples[0].t, "number");
      assert.equal(typeof samples.data.samples[0].values.currentC, "number");
      const collectors = received.find((e) => e.name === "collectors")!;
      assert.equal(collectors.data[0].name, "temp-module");
      assert.equal(collectors.data[0].targetHz, 10);
      const system = received.find((e) => e.name === "system")!;
      assert.equal(system.data.dataVersion, 2);
      assert.equal(typeof system.data.diskFreeBytes, "number");
    } finally {
      await robot.stop();
    }
  });
});

async function readMcap(path: string): Promise<number> {
  const bytes = await readFile(path);
  const reader = await McapIndexedReader.Initialize({
    readable: { size: async () => BigInt(bytes.byteLength), read: async (offset, size) => bytes.subarray(Number(offset), Number(offset + size)) },
  });
  let messages = 0;
  for await (const message of reader.readMessages()) {
    const value = JSON.parse(new TextDecoder().decode(message.data));
    assert.equal(typeof value.currentC, "number");
    messages++;
  }
  return messages;
}

test("SIGTERM: a clean exit within the bound, no .part file left, capture files readable MCAP, the database clean, the lock released", { timeout: 180_000 }, async () => {
  await withDataRoot(async (dataRoot) => {
    const robot = await spawnRobot(dataRoot);
    await waitReady(robot);
    const call = client(robot);
    const runId = (await call("POST", "/runs", {})).body.data.id;
    await call("POST", `/runs/${runId}/commands`, { data: [{ id: "c1", commandType: "home" }, { id: "c2", commandType: "aspirate" }] });
    for (;;) {
      const files = (await call("GET", "/capture/files")).body.data as { name: string; bytes: number }[];
      if (files.some((f) => f.name.endsWith(".mcap.part") && f.bytes > 1000)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(await robot.stop("SIGTERM"), 0, robot.output());
    assert.match(robot.output(), /stopped cleanly/);
    const capture = await readdir(join(dataRoot, "capture"));
    assert.deepEqual(capture.filter((n) => n.endsWith(".part")), [], "no .part file is left");
    const finished = capture.filter((n) => n.endsWith(".mcap"));
    assert.ok(finished.length >= 1);
    let messages = 0;
    for (const name of finished) messages += await readMcap(join(dataRoot, "capture", name));
    assert.ok(messages > 0, "the samples are in the finished files");
    assert.ok(!(await readdir(dataRoot)).includes("deckhand.lock"), "the lock is released");
    const db = createClient({ url: `file:${join(dataRoot, "v2", "runs.db")}` });
    try {
      assert.equal((await db.execute("PRAGMA integrity_check")).rows[0]![0], "ok");
      assert.equal((await db.execute("SELECT count(*) FROM commands")).rows[0]![0], 2);
    } finally {
      db.close();
    }
  });
});

test("a second instance on the same data root refuses to start with a clear message; a stale lock from kill -9 is taken over", { timeout: 180_000 }, async () => {
  await withDataRoot(async (dataRoot) => {
    const first = await spawnRobot(dataRoot);
    try {
      await assert.rejects(spawnRobot(dataRoot), (error: Error) => {
        assert.match(error.message, /exited \(1\)/);
        assert.match(error.message, new RegExp(`another Deckhand robot app \\(pid ${first.process.pid}\\) is using the data root`));
        return true;
      });
    } finally {
      assert.equal(await first.stop("SIGKILL"), null);
    }
    assert.ok((await readdir(dataRoot)).includes("deckhand.lock"), "kill -9 leaves the lock behind");
    const dead = spawn(process.execPath, ["-e", ""]);
    const deadPid = dead.pid!;
    await new Promise((resolve) => dead.once("exit", resolve));
    await writeFile(join(dataRoot, "deckhand.lock"), `${deadPid}\n`);
    const second = await spawnRobot(dataRoot);
    try {
      await waitReady(second);
      assert.equal((await readFile(join(dataRoot, "deckhand.lock"), "utf8")).trim(), String(second.process.pid));
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });
});
