/**
 * Hostile-input test child (not published): runs store operations on untrusted input in its own process, so a
 * native crash (libSQL aborting on text that is not UTF-8) fails the parent's test instead of killing its
 * runner. Reads the cases from the JSON file at argv[3] (JSON keeps lone surrogates as escapes, so they arrive
 * exactly), opens the store at argv[2] with small byte limits, and prints one line per case:
 *
 *   case <i> <outcome> <detail>    outcome: exact | refused | mismatch | dirty | untyped
 *   done
 *
 * Only `exact` (stored and read back exactly) and `refused` (a typed error, nothing written) are allowed.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { encodeCommands, type EncodedCommands, openRunStore, type RunCommand, type RunStore, type RunSummary, StorageError } from "./mod.ts";

/** One operation on untrusted input. */
export type HostileCase =
  | { readonly op: "createRun"; readonly id: string; readonly protocolId?: string }
  | { readonly op: "createProtocol"; readonly id: string; readonly metadata: unknown }
  | { readonly op: "addAnalysis"; readonly id: string; readonly protocolId: string; readonly document: unknown }
  | { readonly op: "appendCommands"; readonly commands: readonly unknown[] }
  | { readonly op: "finishRun"; readonly summary: unknown }
  | { readonly op: "addRunAction"; readonly id: string }
  | { readonly op: "getCommand"; readonly commandId: string }
  | { readonly op: "getRun"; readonly id: string }
  | { readonly op: "listRunsBefore"; readonly before: string }
  | { readonly op: "quarantineRun"; readonly id: string; readonly code: string; readonly message: string }
  | { readonly op: "readRun"; readonly id: string }
  /** `commands` encoded in the child with `encodeCommands`, or `ids`/`texts` made by hand (hostile encoded data). */
  | { readonly op: "appendEncoded"; readonly commands?: readonly unknown[]; readonly ids?: unknown; readonly texts?: unknown };

/** The byte limits the child opens its store with, small so "huge" inputs stay cheap. */
export const CHILD_LIMITS = { maxRecordBytes: 4096, maxBatchBytes: 16_384 } as const;

/** What one case came to. */
type Outcome = readonly ["exact" | "refused" | "mismatch" | "dirty" | "untyped", string];

const [path, casesPath] = process.argv.slice(2);
if (!path || !casesPath) throw new Error("usage: hostile_input_test_child.ts <db path> <cases.json>");
const cases = JSON.parse(await readFile(casesPath, "utf8")) as HostileCase[];
const store = await openRunStore({ url: `file:${path}`, limits: CHILD_LIMITS });
if ((await store.listProtocols()).length === 0) await store.createProtocol({ id: "host", metadata: {}, files: [] });

for (const [i, hostile] of cases.entries()) {
  const run = `case-run-${i}`;
  await store.createRun({ id: run });
  await store.appendCommands(run, [{ id: "known", commandType: "home" }]);
  const [outcome, detail] = await attempt(store, run, hostile);
  console.log(`case ${i} ${outcome} ${JSON.stringify(detail)}`);
}
await store.close();
console.log("done");

async function attempt(store: RunStore, run: string, hostile: HostileCase): Promise<Outcome> {
  const before = await snapshot(store, run);
  let check: () => Promise<void>;
  try {
    check = await perform(store, run, hostile);
  } catch (error) {
    if (!(error instanceof StorageError)) return ["untyped", String(error)];
    const after = await snapshot(store, run);
    try {
      assert.deepEqual(after, before);
    } catch (difference) {
      return ["dirty", `${error.code}: something was written although the call was refused: ${String(difference).slice(0, 300)}`];
    }
    return ["refused", `${error.code}: ${error.message.slice(0, 200)}`];
  }
  try {
    await check();
  } catch (error) {
    return ["mismatch", error instanceof Error ? error.message.slice(0, 500) : String(error)];
  }
  return ["exact", hostile.op];
}

/** Everything a refused call could have touched. */
async function snapshot(store: RunStore, run: string): Promise<unknown> {
  return {
    changes: (await store.changes(0, { limit: 100_000 })).length,
    runs: (await store.listRuns({ limit: 100_000 })).map((r) => [r.id, r.status, r.commandCount, r.kind]),
    protocols: (await store.listProtocols()).length,
    analyses: (await store.listAnalyses("host")).length,
    commands: (await store.listCommands(run, { cursor: 0, pageLength: 1000 })).commands,
    run: await store.getRun(run),
  };
}

/** JSON semantics: what a value stored as JSON reads back as (omitted `undefined` keys, `-0` as `0`). */
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** Runs the operation; returns the check that what was stored reads back exactly. */
async function perform(store: RunStore, run: string, hostile: HostileCase): Promise<() => Promise<void>> {
  switch (hostile.op) {
    case "createRun": {
      await store.createRun({ id: hostile.id, ...(hostile.protocolId === undefined ? {} : { protocolId: hostile.protocolId }) });
      return async () => {
        const got = await store.getRun(hostile.id);
        assert.equal(got.id, hostile.id);
        assert.ok((await store.listRuns({ limit: 100_000 })).some((r) => r.id === hostile.id), "listed");
        const log = await store.changes(0, { limit: 100_000 });
        assert.equal(log.at(-1)?.id, hostile.id, "the change feed has the exact id");
      };
    }
    case "createProtocol": {
      await store.createProtocol({ id: hostile.id, metadata: hostile.metadata as Record<string, unknown>, files: [] });
      return async () => {
        const got = await store.getProtocol(hostile.id);
        assert.equal(got.kind, "ok");
        assert.equal(got.id, hostile.id);
        assert.deepEqual(got.kind === "ok" && got.metadata, asJson(hostile.metadata));
      };
    }
    case "addAnalysis": {
      const { id } = await store.addAnalysis({
        id: hostile.id,
        protocolId: hostile.protocolId,
        document: hostile.document as string,
      });
      return async () => {
        assert.equal(id, hostile.id);
        const text = await store.getAnalysisDocument(id);
        const got = await store.getAnalysis(id);
        assert.equal(got.kind, "ok", "reads back as a good analysis");
        if (typeof hostile.document === "string") {
          assert.equal(text, hostile.document, "the text byte for byte");
          assert.deepEqual(got.kind === "ok" && got.document, JSON.parse(hostile.document));
        } else {
          assert.deepEqual(got.kind === "ok" && got.document, asJson(hostile.document));
        }
      };
    }
    case "appendCommands": {
      const commands = hostile.commands as RunCommand[];
      const { firstIndex, totalLength } = await store.appendCommands(run, commands);
      return async () => {
        assert.equal(totalLength - firstIndex, commands.length);
        const page = await store.listCommands(run, { cursor: firstIndex, pageLength: commands.length + 1 });
        assert.equal(page.totalLength, totalLength);
        assert.deepEqual(page.commands.map((c) => (c.kind === "ok" ? c.command : c)), asJson(commands));
        for (const command of commands) {
          const got = await store.getCommand(run, command.id);
          assert.deepEqual(got.kind === "ok" ? got.command : got, asJson(command));
        }
      };
    }
    case "finishRun": {
      await store.finishRun(run, hostile.summary as RunSummary);
      return async () => {
        const got = await store.getRun(run);
        assert.equal(got.kind, "ok");
        assert.deepEqual(got.kind === "ok" && got.summary, asJson(hostile.summary));
      };
    }
    case "addRunAction": {
      const action = await store.addRunAction(run, { id: hostile.id, actionType: "play" });
      return async () => {
        assert.equal(action.id, hostile.id);
        const got = await store.getRun(run);
        assert.equal(got.kind === "ok" && got.actions.at(-1)?.id, hostile.id);
      };
    }
    case "getCommand": {
      // A read: it must find exactly that id or say it is not there; nothing may be written.
      const got = await store.getCommand(run, hostile.commandId);
      return async () => {
        assert.equal(got.kind === "ok" && got.command.id, hostile.commandId, "found a command with exactly that id");
      };
    }
    case "getRun": {
      const got = await store.getRun(hostile.id);
      return async () => {
        assert.equal(got.id, hostile.id, "found a run with exactly that id");
      };
    }
    case "listRunsBefore": {
      await store.listRuns({ before: hostile.before });
      return async () => {
        assert.ok((await store.listRuns({ limit: 100_000 })).some((r) => r.id === hostile.before), "the anchor exists");
      };
    }
    case "readRun": {
      // Reads every command of a run that may have been written by an older version (text that is not UTF-8).
      const page = await store.listCommands(hostile.id, { cursor: 0, pageLength: 1000 });
      const wellFormed = page.commands.flatMap((c) => (c.kind === "ok" && !/\p{Cs}/u.test(c.command.id) ? [c.command.id] : []));
      for (const id of wellFormed) await store.getCommand(hostile.id, id);
      return async () => {
        assert.equal(page.commands.length, page.totalLength);
        // Legacy rows read back as they were stored: a bad row's id comes from its raw bytes, decoded leniently.
        const summary = page.commands.map((c) => (c.kind === "ok" ? c.command.id : `bad:${c.id.slice(0, 1)}`));
        assert.deepEqual(summary, ["fine", "c\ud800", "bad:d"]);
      };
    }
    case "appendEncoded": {
      const encoded = hostile.commands
        ? encodeCommands(hostile.commands as RunCommand[], CHILD_LIMITS)
        : ({ ids: hostile.ids, texts: hostile.texts } as EncodedCommands);
      const { firstIndex, totalLength } = await store.appendEncodedCommands(run, encoded);
      return async () => {
        assert.equal(totalLength - firstIndex, encoded.ids.length);
        const page = await store.listCommands(run, { cursor: firstIndex, pageLength: encoded.ids.length + 1 });
        assert.equal(page.totalLength, totalLength);
        for (const [i, stored] of page.commands.entries()) {
          if (stored.kind === "ok") {
            assert.deepEqual(stored.command, JSON.parse(encoded.texts[i]!), `command ${i} reads back as its text`);
            assert.equal(stored.command.id, encoded.ids[i]);
          } else {
            // Only hand-made text that is not a valid command may read back as a bad record, and then as one.
            assert.ok(!hostile.commands, `command ${i} from encodeCommands reads back as bad: ${stored.dataError.code}`);
            assert.equal(stored.id, encoded.ids[i], "a bad record keeps its id");
          }
          const got = await store.getCommand(run, encoded.ids[i]!);
          assert.equal(got.kind === "ok" ? got.command.id : got.id, encoded.ids[i]);
        }
      };
    }
    case "quarantineRun": {
      const bytes = new Uint8Array([0xff, 0x00, 0x80]);
      await store.quarantineRun({ id: hostile.id, bytes, code: hostile.code, message: hostile.message });
      return async () => {
        const got = await store.getQuarantinedRun(hostile.id);
        assert.deepEqual([got.id, got.code, got.message, [...got.bytes]], [hostile.id, hostile.code, hostile.message, [...bytes]]);
        const listed = await store.getRun(hostile.id);
        assert.deepEqual(listed.kind === "bad" && listed.dataError, { code: hostile.code, message: hostile.message });
      };
    }
  }
}
