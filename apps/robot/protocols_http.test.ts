import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { client, withRobot } from "./robot_test_support.ts";

const fixtures = new URL("../../fixtures/opentrons/", import.meta.url);

async function upload(url: string, files: { name: string; bytes: Uint8Array }[], fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const file of files) form.append("files", new Blob([file.bytes]), file.name);
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  const response = await fetch(`${url}/protocols`, { method: "POST", body: form });
  return { status: response.status, body: await response.json() as any };
}

test("protocols: multipart upload in files, de-duplicated (200, same id), stored content-addressed, listed, referencingRuns, delete rules", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    const bytes = new Uint8Array(await readFile(new URL("protocol-simpleFlexV8.json", fixtures)));
    const first = await upload(robot.url, [{ name: "simpleFlexV8.json", bytes }], { key: "my-key" });
    assert.equal(first.status, 201);
    const protocol = first.body.data;
    assert.deepEqual(protocol.files, [{ name: "simpleFlexV8.json", role: "main" }]);
    assert.equal(protocol.protocolType, "json");
    assert.equal(protocol.robotType, "OT-3 Standard");
    assert.equal(protocol.metadata.protocolName, "Simple test protocol");
    assert.equal(protocol.key, "my-key");
    assert.equal(protocol.protocolKind, "standard");
    assert.deepEqual(protocol.analysisSummaries, []);
    const stored = await readFile(join(robot.dataRoot, "protocol-files", createHash("sha256").update(bytes).digest("hex")));
    assert.deepEqual(new Uint8Array(stored), bytes, "the file is stored under its SHA-256");

    const again = await upload(robot.url, [{ name: "simpleFlexV8.json", bytes }]);
    assert.equal(again.status, 200);
    assert.equal(again.body.data.id, protocol.id);
    const python = new TextEncoder().encode('requirements = {"robotType": "Flex", "apiLevel": "2.19"}\nmetadata = {"protocolName": "Py"}\ndef run(ctx):\n    pass\n');
    const py = await upload(robot.url, [{ name: "proto.py", bytes: python }, { name: "samples.csv", bytes: new TextEncoder().encode("a,b\n") }]);
    assert.equal(py.status, 201);
    assert.equal(py.body.data.protocolType, "python");
    assert.equal(py.body.data.robotType, "OT-3 Standard");
    assert.equal(py.body.data.metadata.protocolName, "Py");
    assert.deepEqual(py.body.data.files, [{ name: "proto.py", role: "main" }, { name: "samples.csv", role: "data" }]);
    assert.equal((await readdir(join(robot.dataRoot, "protocol-files"))).length, 3);

    const list = await call("GET", "/protocols");
    assert.deepEqual(list.body.data.map((p: { id: string }) => p.id), [protocol.id, py.body.data.id]);
    assert.deepEqual(list.body.meta, { cursor: 0, totalLength: 2 });

    const run = (await call("POST", "/runs", { data: { protocolId: protocol.id } })).body.data;
    assert.equal(run.protocolId, protocol.id);
    const got = await call("GET", `/protocols/${protocol.id}`);
    assert.deepEqual(got.body.links.referencingRuns, [{ id: run.id, href: `/runs/${run.id}` }]);
    const inUse = await call("DELETE", `/protocols/${protocol.id}`);
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.errors[0].meta.code, "ROBOT_PROTOCOL_USED_BY_RUN");
    assert.equal((await call("DELETE", `/runs/${run.id}`)).status, 200);
    const deleted = await call("DELETE", `/protocols/${protocol.id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body, {});
    const gone = await call("GET", `/protocols/${protocol.id}`);
    assert.equal(gone.status, 404);
    assert.deepEqual([gone.body.errors[0].id, gone.body.errors[0].errorCode], ["ProtocolNotFound", "4000"]);
    assert.equal((await call("GET", "/protocols")).body.meta.totalLength, 1);
    const notMultipart = await call("POST", "/protocols", { files: [] });
    assert.equal(notMultipart.status, 422);
    const noFiles = await upload(robot.url, []);
    assert.equal(noFiles.status, 422);
    const badJson = await upload(robot.url, [{ name: "x.json", bytes: new TextEncoder().encode("{not json") }]);
    assert.equal(badJson.status, 422);
    const traversal = await upload(robot.url, [{ name: "../../etc/x.json", bytes }]);
    assert.equal(traversal.status, 422, "a file name that is a path is refused");
  });
});

test("analyses: recorded, listed oldest first, read in full, asDocument serves the stored text byte for byte", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    const protocolBytes = new Uint8Array(await readFile(new URL("protocol-moveLabware.json", fixtures)));
    const protocolId = (await upload(robot.url, [{ name: "moveLabware.json", bytes: protocolBytes }])).body.data.id;
    const big = await readFile(new URL("analysis-normalize-long-right.json", fixtures), "utf8");
    const small = await readFile(new URL("analysis-no-pipettes.json", fixtures), "utf8");
    const recorded = await call("POST", `/protocols/${protocolId}/analyses`, big);
    assert.equal(recorded.status, 201);
    assert.equal(recorded.body.data.length, 1);
    assert.equal(recorded.body.data[0].status, "completed");
    const bigId = recorded.body.data[0].id;
    const wrapped = await call("POST", `/protocols/${protocolId}/analyses`, `{"data":${small}}`);
    assert.equal(wrapped.status, 201);
    assert.deepEqual(wrapped.body.data.map((a: { id: string }) => a.id)[0], bigId);
    const smallId = wrapped.body.data[1].id;

    const raw = await fetch(`${robot.url}/protocols/${protocolId}/analyses/${bigId}/asDocument`);
    assert.equal(raw.status, 200);
    assert.match(raw.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(await raw.text(), big, "asDocument is the stored text itself");
    const list = await call("GET", `/protocols/${protocolId}/analyses`);
    assert.deepEqual(list.body.data.map((a: { id: string }) => a.id), [bigId, smallId]);
    assert.deepEqual(list.body.meta, { cursor: 0, totalLength: 2 });
    const one = await call("GET", `/protocols/${protocolId}/analyses/${smallId}`);
    assert.equal(one.body.data.id, smallId);
    assert.deepEqual(one.body.data.commands, JSON.parse(small).commands);
    const summaries = (await call("GET", `/protocols/${protocolId}`)).body.data.analysisSummaries;
    assert.deepEqual(summaries, [{ id: bigId, status: "completed" }, { id: smallId, status: "completed" }]);
    const otherProtocol = (await upload(robot.url, [{ name: "p.json", bytes: new Uint8Array(await readFile(new URL("protocol-simpleFlexV8.json", fixtures))) }])).body.data.id;
    const wrongProtocol = await call("GET", `/protocols/${otherProtocol}/analyses/${bigId}/asDocument`);
    assert.equal(wrongProtocol.status, 404, "an analysis of another protocol is not found");
    assert.equal(wrongProtocol.body.errors[0].id, "AnalysisNotFound");
    assert.equal((await call("GET", `/protocols/${protocolId}/analyses/nope`)).status, 404);
    const invalid = await call("POST", `/protocols/${protocolId}/analyses`, { commands: "no" });
    assert.equal(invalid.status, 422);
    const huge = await call("POST", `/protocols/${protocolId}/analyses`, '{"commands":[],"errors":[],"x":1e400}');
    assert.equal(huge.status, 422, "a number beyond double range is refused");
  });
});
