import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openRunStore, type RunCommand, type RunStore } from "./mod.ts";

// Real Opentrons documents (analyses up to 2.9 MB, JSON protocols), beside the repository as in CI.
const FIXTURES = new URL("../../fixtures/opentrons/", import.meta.url);
const names = (await readdir(FIXTURES)).filter((name) => name.endsWith(".json")).sort();
const analysisNames = names.filter((name) => name.startsWith("analysis-"));
const protocolNames = names.filter((name) => name.startsWith("protocol-"));

let dir: string;
let store: RunStore;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "deckhand-"));
  store = await openRunStore({ url: `file:${join(dir, "runs.db")}` });
  await store.createProtocol({ id: "host", metadata: {}, files: [] });
});

after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

test("the fixture set holds the expected analyses and protocols", () => {
  assert.equal(analysisNames.length, 8);
  assert.equal(protocolNames.length, 4);
});

for (const name of analysisNames) {
  test(`analysis ${name} round-trips byte for byte through getAnalysisDocument and deep-equal through the codec`, async () => {
    const text = await readFile(new URL(name, FIXTURES), "utf8");
    const { id } = await store.addAnalysis({ protocolId: "host", document: text });
    assert.equal(await store.getAnalysisDocument(id), text);
    const decoded = await store.getAnalysis(id);
    assert.equal(decoded.kind, "ok");
    assert.deepEqual(decoded.kind === "ok" && decoded.document, JSON.parse(text));

    const fromObject = await store.addAnalysis({ protocolId: "host", document: JSON.parse(text) });
    const again = await store.getAnalysis(fromObject.id);
    assert.deepEqual(again.kind === "ok" && again.document, JSON.parse(text));
    assert.equal(await store.getAnalysisDocument(fromObject.id), JSON.stringify(JSON.parse(text)));
  });
}

test("the commands of every analysis round-trip as run commands, one row each, in order", async () => {
  for (const name of analysisNames) {
    const analysis = JSON.parse(await readFile(new URL(name, FIXTURES), "utf8")) as { commands: RunCommand[] };
    // The snapshots use the placeholder id "UUID" everywhere; a run needs unique ids.
    const commands = analysis.commands.map((command, i) => ({ ...command, id: `${i}-${command.id}` }));
    const run = await store.createRun({ protocolId: "host" });
    for (let i = 0; i < commands.length; i += 500) await store.appendCommands(run.id, commands.slice(i, i + 500));
    const page = await store.listCommands(run.id, { cursor: 0, pageLength: commands.length + 1 });
    assert.equal(page.totalLength, commands.length, name);
    assert.deepEqual(
      page.commands.map((c) => (c.kind === "ok" ? c.command : c)),
      commands,
      name,
    );
    const middle = commands[Math.floor(commands.length / 2)]!;
    assert.deepEqual(await store.getCommand(run.id, middle.id), {
      kind: "ok",
      index: Math.floor(commands.length / 2),
      command: middle,
    });
  }
});

for (const name of protocolNames) {
  test(`protocol ${name}: metadata and the file's content hash round-trip`, async () => {
    const bytes = await readFile(new URL(name, FIXTURES));
    const parsed = JSON.parse(bytes.toString("utf8")) as { metadata: Record<string, unknown>; robot?: { model?: string } };
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const created = await store.createProtocol({
      metadata: parsed.metadata,
      files: [{ name, role: "main", sha256 }],
      ...(parsed.robot?.model ? { robotType: parsed.robot.model } : {}),
    });
    const read = await store.getProtocol(created.id);
    assert.equal(read.kind, "ok");
    assert.deepEqual(read.kind === "ok" && read.metadata, parsed.metadata);
    assert.deepEqual(read.kind === "ok" && read.files, [{ name, role: "main", sha256 }]);
    assert.deepEqual(read, created);
  });
}
