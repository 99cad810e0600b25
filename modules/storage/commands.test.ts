import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@libsql/client";
import {
  DuplicateCommandError,
  MAX_RECORD_BYTES,
  openRunStore,
  type RunCommand,
  type RunStore,
  TooLargeError,
  WriteVerificationError,
} from "./mod.ts";

async function withStore(fn: (store: RunStore, url: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-"));
  const url = `file:${join(dir, "runs.db")}`;
  const store = await openRunStore({ url });
  try {
    await fn(store, url);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function sql(url: string, statement: string): Promise<void> {
  const client = createClient({ url });
  try {
    await client.execute(statement);
  } finally {
    client.close();
  }
}

test("appendCommands verifies the rows written against the batch: a short insert is an error and rolls back", async () => {
  await withStore(async (store, url) => {
    await store.createRun({ id: "r" });
    await store.appendCommands("r", [{ id: "c0", commandType: "home" }]);
    // A trigger that silently skips one row: the engine reports success for a statement that wrote fewer rows.
    await sql(url, "CREATE TRIGGER skip_one BEFORE INSERT ON commands WHEN NEW.command_id = 'c2' BEGIN SELECT RAISE(IGNORE); END");
    const seqBefore = (await store.changes()).length;
    await assert.rejects(
      store.appendCommands("r", [1, 2, 3].map((i) => ({ id: `c${i}`, commandType: "home" }))),
      (error: unknown) => error instanceof WriteVerificationError && error.code === "STORE_WRITE_UNVERIFIED",
    );
    const page = await store.listCommands("r", { cursor: 0, pageLength: 10 });
    assert.equal(page.totalLength, 1, "not acknowledged, and nothing of the batch was kept");
    assert.deepEqual(page.commands.map((c) => c.kind === "ok" && c.command.id), ["c0"]);
    assert.equal((await store.changes()).length, seqBefore, "no change logged for the rolled-back batch");
    await sql(url, "DROP TRIGGER skip_one");
    const appended = await store.appendCommands("r", [1, 2, 3].map((i) => ({ id: `c${i}`, commandType: "home" })));
    assert.deepEqual(appended, { firstIndex: 1, totalLength: 4 });
  });
});

test("a batch of several statements (over 16 MiB of text) is all or nothing", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "r" });
    const message = "x".repeat(400_000);
    const commands: RunCommand[] = Array.from({ length: 50 }, (_, i) => ({ id: `c${i}`, commandType: "comment", params: { message } }));
    // The last command repeats the first id: the unique index fails in the last statement, after others committed rows.
    const failing = [...commands, { id: "c0", commandType: "comment" }];
    await assert.rejects(store.appendCommands("r", failing), DuplicateCommandError);
    assert.equal((await store.listCommands("r")).totalLength, 0);
    await store.appendCommands("r", commands);
    const page = await store.listCommands("r", { cursor: 0, pageLength: 100 });
    assert.equal(page.totalLength, 50);
    assert.ok(page.commands.every((c, i) => c.kind === "ok" && c.command.id === `c${i}` && c.index === i));
  });
});

test("the per-record limit is in UTF-8 bytes: a command under it in characters but over it in bytes is refused", async () => {
  await withStore(async (store) => {
    await store.createRun({ id: "r" });
    // 22,369,622 "€" are a third of the limit in characters and just over it in bytes.
    const euros = "€".repeat(Math.floor(MAX_RECORD_BYTES / 3) + 1);
    await assert.rejects(
      store.appendCommands("r", [{ id: "big", commandType: "comment", params: { message: euros } }]),
      (error: unknown) => error instanceof TooLargeError && error.code === "STORE_TOO_LARGE" && error.message.includes("commands[0]"),
    );
    assert.equal((await store.listCommands("r")).totalLength, 0);
  });
});

test("openRunStore refuses limits outside their range", async () => {
  for (const limits of [{ maxRecordBytes: 0 }, { maxRecordBytes: MAX_RECORD_BYTES + 1 }, { maxRecordBytes: 100, maxBatchBytes: 99 }, { maxBatchBytes: 2 ** 40 }]) {
    await assert.rejects(openRunStore({ url: "file:never.db", limits }), { code: "STORE_INVALID_OPTIONS" });
  }
});

test("a short insert in a later statement of a multi-statement batch is caught and rolls the whole batch back", async () => {
  await withStore(async (store, url) => {
    await store.createRun({ id: "r" });
    await sql(url, "CREATE TRIGGER skip_one BEFORE INSERT ON commands WHEN NEW.command_id = 'c2500' BEGIN SELECT RAISE(IGNORE); END");
    const batch: RunCommand[] = Array.from({ length: 3_000 }, (_, i) => ({ id: `c${i}`, commandType: "home" }));
    await assert.rejects(store.appendCommands("r", batch), WriteVerificationError);
    assert.equal((await store.listCommands("r")).totalLength, 0, "not acknowledged, and no row of the batch was kept");
    await sql(url, "DROP TRIGGER skip_one");
    assert.deepEqual(await store.appendCommands("r", batch), { firstIndex: 0, totalLength: 3_000 });
    const page = await store.listCommands("r", { cursor: 2_499, pageLength: 2 });
    assert.deepEqual(page.commands.map((c) => c.kind === "ok" && c.command.id), ["c2499", "c2500"]);
  });
});
