import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@libsql/client";
import { MIGRATIONS } from "./migrations.ts";
import {
  AlreadyExistsError,
  AnalysisNotFoundError,
  type ChangeEntry,
  CommandNotFoundError,
  DuplicateCommandError,
  InvalidOptionsError,
  InvalidRecordError,
  openRunStore,
  ProtocolNotFoundError,
  RunAlreadyFinishedError,
  type RunCommand,
  RunNotFoundError,
  type RunStore,
  type RunStoreOptions,
  StoreClosedError,
} from "./mod.ts";

const SHA = "a".repeat(64);

/** A clock that advances one second per reading, so times are distinct and predictable. */
function steppingClock(start = Date.parse("2024-05-01T12:00:00.000Z")): { now(): number } {
  let t = start;
  return { now: () => (t += 1000) };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function withStore(
  fn: (store: RunStore, url: string) => Promise<void>,
  options: Partial<RunStoreOptions> = {},
): Promise<void> {
  await withDir(async (dir) => {
    const url = `file:${join(dir, "runs.db")}`;
    const store = await openRunStore({ url, clock: steppingClock(), ...options });
    try {
      await fn(store, url);
    } finally {
      await store.close();
    }
  });
}

function commandsFor(prefix: string, count: number, from = 0): RunCommand[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${from + i}`,
    commandType: "aspirate",
    status: "succeeded",
    params: { volume: from + i, pipetteId: "p1" },
  }));
}

/** Rewrites one run row column through a second connection: the only way to plant corrupt data on disk. */
async function patchRow(url: string, sql: string, args: (string | number | null)[]): Promise<void> {
  const client = createClient({ url });
  try {
    const result = await client.execute({ sql, args });
    assert.equal(result.rowsAffected, 1, `patch did not hit exactly one row: ${sql}`);
  } finally {
    client.close();
  }
}

test("openRunStore rejects nonsense options with InvalidOptionsError", async () => {
  await assert.rejects(openRunStore({ url: "" }), InvalidOptionsError);
  await assert.rejects(openRunStore({ url: "file:x.db", durability: "disk" as "power" }), InvalidOptionsError);
  await assert.rejects(openRunStore({ url: "file:x.db", busyTimeoutMs: -1 }), InvalidOptionsError);
});

test("openRunStore rejects with the client's error when a remote URL is unreachable", async () => {
  // Port 9 (discard) on loopback: nothing listens there, so the first statement fails.
  await assert.rejects(openRunStore({ url: "http://127.0.0.1:9" }), (error: Error) => !(error instanceof InvalidOptionsError));
});

test("openRunStore puts a file database in WAL mode and applies the migrations once", async () => {
  await withDir(async (dir) => {
    const url = `file:${join(dir, "runs.db")}`;
    for (const durability of ["process", "power"] as const) {
      const store = await openRunStore({ url, durability });
      await store.close();
    }
    const client = createClient({ url });
    try {
      assert.equal((await client.execute("PRAGMA journal_mode")).rows[0]![0], "wal");
      const applied = await client.execute("SELECT hash FROM __drizzle_migrations");
      assert.equal(applied.rows.length, MIGRATIONS.length, "reopening must not apply a migration twice");
      const tables = await client.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
      const names = tables.rows.map((row) => row[0]);
      for (const table of ["analyses", "changes", "commands", "protocols", "quarantine", "runs"]) assert.ok(names.includes(table), table);
    } finally {
      client.close();
    }
  });
});

test("createProtocol, getProtocol and listProtocols round-trip protocols oldest first", async () => {
  await withStore(async (store) => {
    const first = await store.createProtocol({
      id: "p1",
      metadata: { protocolName: "PCR prep", author: "lab" },
      files: [{ name: "main.py", role: "main", sha256: SHA }],
      robotType: "OT-3 Standard",
    });
    const second = await store.createProtocol({ metadata: {}, files: [] });
    assert.equal(first.kind, "ok");
    assert.equal(typeof second.id, "string");
    assert.deepEqual(await store.getProtocol("p1"), first);
    const listed = await store.listProtocols();
    assert.deepEqual(
      listed.map((p) => p.id),
      ["p1", second.id],
    );
    assert.deepEqual(listed[0], first);
  });
});

test("createProtocol rejects invalid records, taken ids and missing protocols with typed errors", async () => {
  await withStore(async (store) => {
    await store.createProtocol({ id: "p1", metadata: {}, files: [] });
    await assert.rejects(store.createProtocol({ id: "p1", metadata: {}, files: [] }), AlreadyExistsError);
    await assert.rejects(
      store.createProtocol({ metadata: {}, files: [{ name: "a.py", role: "main", sha256: "not-a-hash" }] }),
      InvalidRecordError,
    );
    await assert.rejects(store.createProtocol({ metadata: {}, files: [], createdAt: "yesterday" }), InvalidRecordError);
    await assert.rejects(store.getProtocol("nope"), ProtocolNotFoundError);
    assert.equal((await store.listProtocols()).length, 1, "failed creates must not leave rows");
  });
});

test("addAnalysis stores text as is; getAnalysisDocument returns it unparsed and listAnalyses decodes it", async () => {
  await withStore(async (store) => {
    await store.createProtocol({ id: "p1", metadata: {}, files: [] });
    const text = '{ "commands": [ {"id": "c1"} ],\n  "errors": [], "result": "ok" }';
    const info = await store.addAnalysis({ id: "a1", protocolId: "p1", document: text });
    const second = await store.addAnalysis({ protocolId: "p1", document: { commands: [], errors: [], result: "not-ok" } });
    assert.deepEqual(info, { id: "a1", protocolId: "p1", createdAt: info.createdAt });
    assert.equal(await store.getAnalysisDocument("a1"), text);
    const listed = await store.listAnalyses("p1");
    assert.deepEqual(
      listed.map((a) => [a.id, a.kind]),
      [
        ["a1", "ok"],
        [second.id, "ok"],
      ],
    );
    assert.deepEqual(listed[0]!.kind === "ok" && listed[0]!.document, JSON.parse(text));
    const one = await store.getAnalysis(second.id);
    assert.deepEqual(one.kind === "ok" && one.document, { commands: [], errors: [], result: "not-ok" });
  });
});

test("addAnalysis rejects unknown protocols, invalid documents and taken ids", async () => {
  await withStore(async (store) => {
    await store.createProtocol({ id: "p1", metadata: {}, files: [] });
    await assert.rejects(store.addAnalysis({ protocolId: "nope", document: { commands: [], errors: [] } }), ProtocolNotFoundError);
    await assert.rejects(store.addAnalysis({ protocolId: "p1", document: "{not json" }), InvalidRecordError);
    await assert.rejects(store.addAnalysis({ protocolId: "p1", document: '{"commands": 3, "errors": []}' }), InvalidRecordError);
    await store.addAnalysis({ id: "a1", protocolId: "p1", document: { commands: [], errors: [] } });
    await assert.rejects(store.addAnalysis({ id: "a1", protocolId: "p1", document: { commands: [], errors: [] } }), AlreadyExistsError);
    await assert.rejects(store.getAnalysisDocument("nope"), AnalysisNotFoundError);
    await assert.rejects(store.getAnalysis("nope"), AnalysisNotFoundError);
    await assert.rejects(store.listAnalyses("nope"), ProtocolNotFoundError);
  });
});

test("listAnalyses returns a corrupt analysis as a bad analysis instead of failing", async () => {
  await withStore(async (store, url) => {
    await store.createProtocol({ id: "p1", metadata: {}, files: [] });
    await store.addAnalysis({ id: "a1", protocolId: "p1", document: { commands: [], errors: [] } });
    await store.addAnalysis({ id: "a2", protocolId: "p1", document: { commands: [], errors: [] } });
    await patchRow(url, "UPDATE analyses SET doc = '{\"commands\": [' WHERE id = 'a1'", []);
    const listed = await store.listAnalyses("p1");
    assert.equal(listed[0]!.kind, "bad");
    assert.equal(listed[0]!.kind === "bad" && listed[0]!.dataError.code, "INVALID_STORED_DATA");
    assert.equal(listed[1]!.kind, "ok");
  });
});

test("createRun starts idle; getRun reads it; a missing protocol or taken id is a typed error", async () => {
  await withStore(async (store) => {
    await store.createProtocol({ id: "p1", metadata: {}, files: [] });
    const run = await store.createRun({ id: "r1", protocolId: "p1" });
    assert.deepEqual(run, {
      kind: "ok",
      id: "r1",
      protocolId: "p1",
      createdAt: run.createdAt,
      startedAt: null,
      completedAt: null,
      status: "idle",
      commandCount: 0,
      actions: [],
      summary: null,
    });
    assert.deepEqual(await store.getRun("r1"), run);
    const bare = await store.createRun();
    assert.equal(bare.protocolId, null);
    await assert.rejects(store.createRun({ id: "r1" }), AlreadyExistsError);
    await assert.rejects(store.createRun({ protocolId: "nope" }), ProtocolNotFoundError);
    await assert.rejects(store.getRun("nope"), RunNotFoundError);
  });
});

test("addRunAction records actions and moves the run's status; startedAt is set by the first play", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "r1" });
    const play = await store.addRunAction("r1", { actionType: "play" });
    let run = await store.getRun("r1");
    assert.equal(run.status, "running");
    assert.equal(run.startedAt, play.createdAt);
    await store.addRunAction("r1", { actionType: "pause" });
    await store.addRunAction("r1", { actionType: "play", id: "second-play" });
    run = await store.getRun("r1");
    assert.equal(run.kind, "ok");
    assert.deepEqual(
      run.kind === "ok" && run.actions.map((a) => a.actionType),
      ["play", "pause", "play"],
    );
    assert.equal(run.startedAt, play.createdAt, "a later play keeps the first start time");
    await store.addRunAction("r1", { actionType: "stop" });
    assert.equal((await store.getRun("r1")).status, "stop-requested");
    await assert.rejects(store.addRunAction("r1", { actionType: "jump" as "play" }), InvalidRecordError);
    await assert.rejects(store.addRunAction("nope", { actionType: "play" }), RunNotFoundError);
  });
});

test("appendCommands appends in order with contiguous indexes and sets the run running", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "r1" });
    assert.deepEqual(await store.appendCommands("r1", commandsFor("c", 3)), { firstIndex: 0, totalLength: 3 });
    assert.deepEqual(await store.appendCommands("r1", []), { firstIndex: 3, totalLength: 3 });
    assert.deepEqual(await store.appendCommands("r1", commandsFor("c", 2, 3)), { firstIndex: 3, totalLength: 5 });
    const run = await store.getRun("r1");
    assert.equal(run.status, "running");
    assert.equal(run.commandCount, 5);
    assert.notEqual(run.startedAt, null);
    const page = await store.listCommands("r1", { cursor: 0, pageLength: 10 });
    assert.deepEqual(
      page.commands.map((c) => c.index),
      [0, 1, 2, 3, 4],
    );
    assert.deepEqual(
      page.commands.map((c) => c.kind === "ok" && c.command),
      commandsFor("c", 5),
    );
  });
});

test("appendCommands rejects a duplicate command id and writes nothing of that batch", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "r1" });
    await store.appendCommands("r1", commandsFor("c", 2));
    await assert.rejects(store.appendCommands("r1", [...commandsFor("n", 2), ...commandsFor("c", 1)]), DuplicateCommandError);
    await assert.rejects(store.appendCommands("r1", [...commandsFor("x", 1), ...commandsFor("x", 1)]), DuplicateCommandError);
    const page = await store.listCommands("r1", { cursor: 0, pageLength: 100 });
    assert.equal(page.totalLength, 2);
    assert.deepEqual(
      page.commands.map((c) => c.kind === "ok" && c.command.id),
      ["c-0", "c-1"],
    );
    await assert.rejects(store.getCommand("r1", "n-0"), CommandNotFoundError);
  });
});

test("a batch larger than one insert statement stays one transaction: all appended in order, or none", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "r1" });
    const big = commandsFor("c", 45_000);
    await assert.rejects(store.appendCommands("r1", [...big, { id: "c-3", commandType: "home" }]), DuplicateCommandError);
    assert.equal((await store.getRun("r1")).commandCount, 0, "the chunks before the duplicate were rolled back");
    assert.deepEqual(await store.appendCommands("r1", big), { firstIndex: 0, totalLength: 45_000 });
    // Across the statement boundaries (1,000 commands per statement).
    for (const at of [999, 19_999, 43_999]) {
      const page = await store.listCommands("r1", { cursor: at, pageLength: 3 });
      assert.deepEqual(
        page.commands.map((c) => [c.index, c.kind === "ok" && c.command.id]),
        [at, at + 1, at + 2].map((i) => [i, `c-${i}`]),
      );
    }
    assert.deepEqual(
      (await store.listCommands("r1", { pageLength: 1 })).commands.map((c) => c.kind === "ok" && c.command.id),
      ["c-44999"],
    );
  });
});

test("appendCommands rejects invalid commands, missing runs and finished runs", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "r1" });
    await assert.rejects(store.appendCommands("r1", [{ id: "", commandType: "home" }]), InvalidRecordError);
    await assert.rejects(
      store.appendCommands("r1", [{ id: "c", commandType: "home", at: new Date() } as unknown as RunCommand]),
      InvalidRecordError,
    );
    await assert.rejects(store.appendCommands("r1", [{ commandType: "home" } as unknown as RunCommand]), InvalidRecordError);
    await assert.rejects(store.appendCommands("nope", commandsFor("c", 1)), RunNotFoundError);
    await store.finishRun("r1", { status: "stopped", errors: [] });
    await assert.rejects(store.appendCommands("r1", commandsFor("c", 1)), RunAlreadyFinishedError);
    assert.equal((await store.getRun("r1")).commandCount, 0);
  });
});

test("concurrent writes all go through the writer queue without SQLITE_BUSY", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "r1" });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      writes.push(store.appendCommands("r1", commandsFor(`b${i}`, 5)));
      if (i % 10 === 0) writes.push(store.createRun({ id: `side-${i}` }));
    }
    await Promise.all(writes);
    const page = await store.listCommands("r1", { cursor: 0, pageLength: 1000 });
    assert.equal(page.totalLength, 200);
    assert.deepEqual(
      page.commands.map((c) => c.index),
      Array.from({ length: 200 }, (_, i) => i),
    );
    // Batches were submitted in order, so they were committed in order.
    assert.deepEqual(
      page.commands.map((c) => c.kind === "ok" && c.command.id).filter((_, i) => i % 5 === 0),
      Array.from({ length: 40 }, (_, i) => `b${i}-0`),
    );
  });
});

test("getCommand finds a command by id; a missing run or command is a typed error", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "r1" });
    await store.appendCommands("r1", commandsFor("c", 3));
    assert.deepEqual(await store.getCommand("r1", "c-2"), { kind: "ok", index: 2, command: commandsFor("c", 3)[2] });
    await assert.rejects(store.getCommand("r1", "c-9"), CommandNotFoundError);
    await assert.rejects(store.getCommand("nope", "c-0"), RunNotFoundError);
  });
});

test("listCommands without a cursor returns the last page, like Opentrons", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "r1" });
    assert.deepEqual(await store.listCommands("r1"), { commands: [], cursor: 0, totalLength: 0 });
    await store.appendCommands("r1", commandsFor("c", 45));
    const last = await store.listCommands("r1", { pageLength: 20 });
    assert.equal(last.cursor, 25);
    assert.equal(last.totalLength, 45);
    assert.deepEqual(
      last.commands.map((c) => c.index),
      Array.from({ length: 20 }, (_, i) => 25 + i),
    );
    const small = await store.listCommands("r1", { pageLength: 100 });
    assert.equal(small.cursor, 0, "a page longer than the run starts at 0");
    assert.equal(small.commands.length, 45);
    assert.equal((await store.listCommands("r1")).commands.length, 20, "the default page length is 20");
  });
});

test("listCommands paging edges: exact ends, past the end, partial last page, page length 1, bad arguments", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "r1" });
    await store.appendCommands("r1", commandsFor("c", 10));
    const indexes = async (cursor: number, pageLength: number) =>
      (await store.listCommands("r1", { cursor, pageLength })).commands.map((c) => c.index);
    assert.deepEqual(await indexes(0, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(await indexes(5, 5), [5, 6, 7, 8, 9]);
    assert.deepEqual(await indexes(8, 5), [8, 9], "a page running past the end is cut at the end");
    assert.deepEqual(await indexes(9, 1), [9]);
    assert.deepEqual(await indexes(10, 5), [], "a cursor at the end gives an empty page");
    const past = await store.listCommands("r1", { cursor: 50, pageLength: 5 });
    assert.deepEqual(past, { commands: [], cursor: 50, totalLength: 10 });
    const walked: number[] = [];
    for (let cursor = 0; cursor < 10; cursor += 3) walked.push(...(await indexes(cursor, 3)));
    assert.deepEqual(walked, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "walking pages visits every index once");
    await assert.rejects(store.listCommands("r1", { cursor: -1 }), InvalidOptionsError);
    await assert.rejects(store.listCommands("r1", { cursor: 1.5 }), InvalidOptionsError);
    await assert.rejects(store.listCommands("r1", { pageLength: 0 }), InvalidOptionsError);
    await assert.rejects(store.listCommands("nope"), RunNotFoundError);
  });
});

test("listCommands returns a corrupt command as a bad entry and keeps the rest of the page", async () => {
  await withStore(async (store, url) => {
    await store.createRun({ id: "r1" });
    await store.appendCommands("r1", commandsFor("c", 3));
    await patchRow(url, "UPDATE commands SET doc = 'garbage' WHERE run_id = 'r1' AND idx = 1", []);
    const page = await store.listCommands("r1", { cursor: 0, pageLength: 3 });
    assert.deepEqual(
      page.commands.map((c) => c.kind),
      ["ok", "bad", "ok"],
    );
    const bad = page.commands[1]!;
    assert.equal(bad.kind === "bad" && bad.id, "c-1");
    assert.equal(bad.kind === "bad" && bad.dataError.code, "INVALID_STORED_DATA");
  });
});

test("finishRun writes the summary and ends the run; a second finish is RunAlreadyFinishedError", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "r1" });
    await store.appendCommands("r1", commandsFor("c", 2));
    const summary = { status: "failed" as const, errors: [{ errorType: "PipetteOverpressure" }], liquids: [] };
    const run = await store.finishRun("r1", summary);
    assert.equal(run.status, "failed");
    assert.notEqual(run.completedAt, null);
    assert.deepEqual(run.summary, summary);
    assert.deepEqual(await store.getRun("r1"), run);
    await assert.rejects(store.finishRun("r1", { status: "succeeded", errors: [] }), RunAlreadyFinishedError);
    await assert.rejects(store.addRunAction("r1", { actionType: "play" }), RunAlreadyFinishedError);
    await assert.rejects(store.finishRun("nope", { status: "succeeded", errors: [] }), RunNotFoundError);
    await store.createRun({ id: "r2" });
    await assert.rejects(store.finishRun("r2", { status: "exploded", errors: [] } as never), InvalidRecordError);
    assert.equal((await store.getRun("r2")).status, "idle");
  });
});

test("listRuns lists newest first, pages with limit and before, and validates its options", async () => {
  await withStore(async (store) => {
    for (let i = 0; i < 7; i++) await store.createRun({ id: `r${i}` });
    const ids = async (options?: { limit?: number; before?: string }) => (await store.listRuns(options)).map((r) => r.id);
    assert.deepEqual(await ids(), ["r6", "r5", "r4", "r3", "r2", "r1", "r0"]);
    assert.deepEqual(await ids({ limit: 3 }), ["r6", "r5", "r4"]);
    assert.deepEqual(await ids({ limit: 3, before: "r4" }), ["r3", "r2", "r1"]);
    assert.deepEqual(await ids({ limit: 3, before: "r1" }), ["r0"]);
    assert.deepEqual(await ids({ before: "r0" }), []);
    await assert.rejects(store.listRuns({ limit: 0 }), InvalidOptionsError);
    await assert.rejects(store.listRuns({ before: "nope" }), RunNotFoundError);
  });
});

test("listRuns pages by creation time then id when runs share a creation time", async () => {
  await withStore(async (store) => {
    const createdAt = "2024-01-01T00:00:00.000Z";
    for (const id of ["b", "a", "c"]) await store.createRun({ id, createdAt });
    assert.deepEqual(
      (await store.listRuns({ limit: 2 })).map((r) => r.id),
      ["c", "b"],
    );
    assert.deepEqual(
      (await store.listRuns({ before: "b" })).map((r) => r.id),
      ["a"],
    );
  });
});

test("getRun and listRuns return bad runs for corrupt JSON and a future codec version, and deleteRun removes them", async () => {
  await withStore(async (store, url) => {
    await store.createRun({ id: "good" });
    await store.createRun({ id: "corrupt-doc" });
    await store.createRun({ id: "future-summary" });
    await store.appendCommands("future-summary", commandsFor("c", 2));
    await store.finishRun("future-summary", { status: "succeeded", errors: [] });
    await store.createRun({ id: "corrupt-summary" });
    await store.finishRun("corrupt-summary", { status: "succeeded", errors: [] });
    await patchRow(url, "UPDATE runs SET doc = '{\"actions\": [' WHERE id = ?", ["corrupt-doc"]);
    await patchRow(url, "UPDATE runs SET summary_version = 7 WHERE id = ?", ["future-summary"]);
    await patchRow(url, "UPDATE runs SET summary = '\"just a string\"' WHERE id = ?", ["corrupt-summary"]);

    const corrupt = await store.getRun("corrupt-doc");
    assert.equal(corrupt.kind, "bad");
    assert.equal(corrupt.kind === "bad" && corrupt.dataError.code, "INVALID_STORED_DATA");
    assert.equal(corrupt.status, "idle", "the columns still load");
    assert.equal(corrupt.kind === "bad" && corrupt.actions, undefined, "the actions could not load");

    const future = await store.getRun("future-summary");
    assert.equal(future.kind, "bad");
    assert.equal(future.kind === "bad" && future.dataError.code, "FUTURE_VERSION");
    assert.equal(future.commandCount, 2);
    assert.equal(future.status, "succeeded");
    assert.deepEqual(future.kind === "bad" && future.actions, [], "the run document still loads");
    assert.equal((await store.listCommands("future-summary")).commands.length, 2, "its commands stay readable");

    const badSummary = await store.getRun("corrupt-summary");
    assert.equal(badSummary.kind === "bad" && badSummary.dataError.code, "INVALID_STORED_DATA");

    const listed = await store.listRuns();
    assert.deepEqual(
      listed.map((r) => [r.id, r.kind]),
      [
        ["corrupt-summary", "bad"],
        ["future-summary", "bad"],
        ["corrupt-doc", "bad"],
        ["good", "ok"],
      ],
    );
    for (const id of ["corrupt-doc", "future-summary", "corrupt-summary"]) await store.deleteRun(id);
    assert.deepEqual(
      (await store.listRuns()).map((r) => r.id),
      ["good"],
    );
    await assert.rejects(store.listCommands("future-summary"), RunNotFoundError, "its commands went with it");
  });
});

test("a run left unfinished by a previous process reads as a bad run RUN_INTERRUPTED after reopening", async () => {
  await withDir(async (dir) => {
    const url = `file:${join(dir, "runs.db")}`;
    const first = await openRunStore({ url });
    await first.createRun({ id: "done" });
    await first.finishRun("done", { status: "succeeded", errors: [] });
    await first.createRun({ id: "mid-run" });
    await first.addRunAction("mid-run", { actionType: "play" });
    await first.appendCommands("mid-run", commandsFor("c", 4));
    // Abandoned without finishRun: the state a crash mid-run leaves (the kill -9 test covers the crash itself).
    await first.close();
    const second = await openRunStore({ url });
    try {
      const run = await second.getRun("mid-run");
      assert.equal(run.kind, "bad");
      assert.equal(run.kind === "bad" && run.dataError.code, "RUN_INTERRUPTED");
      assert.equal(run.status, "running", "the last known status is kept");
      assert.equal(run.commandCount, 4);
      assert.notEqual(run.kind === "bad" && run.interruptedAt, null);
      assert.equal(run.kind === "bad" && run.actions?.length, 1);
      assert.equal((await second.listCommands("mid-run")).commands.length, 4);
      assert.equal((await second.getRun("done")).kind, "ok");
      await assert.rejects(second.appendCommands("mid-run", commandsFor("d", 1)), RunAlreadyFinishedError);
      await assert.rejects(second.finishRun("mid-run", { status: "stopped", errors: [] }), RunAlreadyFinishedError);
      await second.deleteRun("mid-run");
      await assert.rejects(second.getRun("mid-run"), RunNotFoundError);
    } finally {
      await second.close();
    }
  });
});

test("deleteRun removes the run and its commands; a missing run is RunNotFoundError", async () => {
  await withStore(async (store, url) => {
    await store.createRun({ id: "r1" });
    await store.appendCommands("r1", commandsFor("c", 5));
    await store.deleteRun("r1");
    await assert.rejects(store.getRun("r1"), RunNotFoundError);
    await assert.rejects(store.deleteRun("r1"), RunNotFoundError);
    const client = createClient({ url });
    try {
      assert.equal((await client.execute("SELECT count(*) FROM commands")).rows[0]![0], 0);
    } finally {
      client.close();
    }
  });
});

test("changes returns the ordered log after a sequence number, with a limit", async () => {
  await withStore(async (store) => {
    await store.createProtocol({ id: "p1", metadata: {}, files: [] });
    await store.addAnalysis({ id: "a1", protocolId: "p1", document: { commands: [], errors: [] } });
    await store.createRun({ id: "r1", protocolId: "p1" });
    await store.addRunAction("r1", { actionType: "play" });
    await store.appendCommands("r1", commandsFor("c", 2));
    await store.finishRun("r1", { status: "succeeded", errors: [] });
    await store.deleteRun("r1");
    const all = await store.changes();
    assert.deepEqual(
      all.map((c) => [c.seq, c.entity, c.id, c.kind]),
      [
        [1, "protocol", "p1", "created"],
        [2, "analysis", "a1", "created"],
        [3, "run", "r1", "created"],
        [4, "run", "r1", "action"],
        [5, "run", "r1", "commands"],
        [6, "run", "r1", "finished"],
        [7, "run", "r1", "deleted"],
      ],
    );
    assert.deepEqual(await store.changes(5), all.slice(5));
    assert.deepEqual(await store.changes(2, { limit: 2 }), all.slice(2, 4));
    assert.deepEqual(await store.changes(7), []);
    await assert.rejects(store.changes(-1), InvalidOptionsError);
    await assert.rejects(store.changes(0, { limit: 0 }), InvalidOptionsError);
  });
});

test("a failed write leaves no change entry behind", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "r1" });
    await assert.rejects(store.createRun({ id: "r1" }), AlreadyExistsError);
    await store.appendCommands("r1", commandsFor("c", 1));
    await assert.rejects(store.appendCommands("r1", commandsFor("c", 1)), DuplicateCommandError);
    assert.deepEqual(
      (await store.changes()).map((c) => c.kind),
      ["created", "commands"],
    );
  });
});

test("a consumer that was down catches up from its last sequence number after a restart", async () => {
  await withDir(async (dir) => {
    const url = `file:${join(dir, "runs.db")}`;
    const first = await openRunStore({ url });
    const seen: ChangeEntry[] = [];
    first.subscribe((change) => seen.push(change));
    await first.createRun({ id: "r1" });
    await first.finishRun("r1", { status: "succeeded", errors: [] });
    const lastSeen = seen.at(-1)!.seq;
    // The consumer goes down here; writes go on.
    await first.createRun({ id: "r2" });
    await first.deleteRun("r1");
    await first.close();

    const second = await openRunStore({ url });
    try {
      await second.createRun({ id: "r3" });
      const missed = await second.changes(lastSeen);
      assert.deepEqual(
        missed.map((c) => [c.id, c.kind]),
        [
          ["r2", "created"],
          ["r1", "deleted"],
          ["r2", "interrupted"],
          ["r3", "created"],
        ],
      );
      const seqs = missed.map((c) => c.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
      assert.ok(seqs[0]! > lastSeen);
    } finally {
      await second.close();
    }
  });
});

test("subscribe notifies each committed change in order until unsubscribed; a throwing listener does not fail the write", async () => {
  const listenerErrors: unknown[] = [];
  await withStore(
    async (store) => {
      const seen: ChangeEntry[] = [];
      const unsubscribe = store.subscribe((change) => seen.push(change));
      store.subscribe(() => {
        throw new Error("listener bug");
      });
      await store.createRun({ id: "r1" });
      assert.deepEqual(await store.getRun("r1").then((r) => r.id), "r1");
      await store.appendCommands("r1", commandsFor("c", 1));
      unsubscribe();
      await store.deleteRun("r1");
      assert.deepEqual(
        seen.map((c) => c.kind),
        ["created", "commands"],
      );
      assert.deepEqual(seen, (await store.changes()).slice(0, 2), "notifications carry the committed entries");
      assert.equal(listenerErrors.length, 3, "each throw is reported, not swallowed");
    },
    { onListenerError: (error) => listenerErrors.push(error) },
  );
});

test("every method throws StoreClosedError after close, and close waits for queued writes", async () => {
  await withDir(async (dir) => {
    const url = `file:${join(dir, "runs.db")}`;
    const store = await openRunStore({ url });
    await store.createRun({ id: "r1" });
    const pending = store.appendCommands("r1", commandsFor("c", 100));
    await store.close();
    assert.deepEqual(await pending, { firstIndex: 0, totalLength: 100 });
    await store.close();
    const calls: (() => Promise<unknown>)[] = [
      () => store.createProtocol({ metadata: {}, files: [] }),
      () => store.getProtocol("p"),
      () => store.listProtocols(),
      () => store.addAnalysis({ protocolId: "p", document: { commands: [], errors: [] } }),
      () => store.listAnalyses("p"),
      () => store.getAnalysis("a"),
      () => store.getAnalysisDocument("a"),
      () => store.createRun(),
      () => store.getRun("r1"),
      () => store.listRuns(),
      () => store.addRunAction("r1", { actionType: "play" }),
      () => store.appendCommands("r1", []),
      () => store.getCommand("r1", "c-0"),
      () => store.listCommands("r1"),
      () => store.finishRun("r1", { status: "stopped", errors: [] }),
      () => store.deleteRun("r1"),
      () => store.changes(),
    ];
    for (const call of calls) await assert.rejects(call(), StoreClosedError);
    assert.throws(() => store.subscribe(() => {}), StoreClosedError);
    const reopened = await openRunStore({ url });
    try {
      assert.equal((await reopened.getRun("r1")).commandCount, 100);
    } finally {
      await reopened.close();
    }
  });
});

test("reads made while a write transaction is open wait for it instead of failing (found by attacking the store)", async () => {
  await withDir(async (dir) => {
    const store = await openRunStore({ url: `file:${join(dir, "runs.db")}` });
    try {
      await store.createRun({ id: "r" });
      await store.appendCommands("r", [{ id: "first", commandType: "home" }]);
      // 30,000 commands: 30 statements in one transaction, holding the store's one connection across awaits.
      const big = Array.from({ length: 30_000 }, (_, i) => ({ id: `c${i}`, commandType: "aspirate", params: { i } }));
      // Reads issued right behind the write interleave with its statements (each statement is an await).
      const writing = store.appendCommands("r", big);
      const totals = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const command = await store.getCommand("r", "first");
          assert.equal(command.index, 0);
          return (await store.listCommands("r", { cursor: 0, pageLength: 1 })).totalLength;
        }),
      );
      await writing;
      for (const total of totals) assert.ok(total === 1 || total === 30_001, `a read sees the write whole or not at all (${total})`);
      assert.equal((await store.listCommands("r")).totalLength, 30_001);
    } finally {
      await store.close();
    }
  });
});
