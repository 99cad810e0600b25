import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { client, spawnRobot, waitReady, withDataRoot } from "./robot_test_support.ts";

test("kill -9 at random moments: every acknowledged protocol, analysis and command batch is there after a restart, no batch is partly there", { timeout: 300_000 }, async () => {
  await withDataRoot(async (dataRoot) => {
    const protocolBytes = await readFile(new URL("../../fixtures/opentrons/protocol-simpleFlexV8.json", import.meta.url));
    const analysis = await readFile(new URL("../../fixtures/opentrons/analysis-no-pipettes.json", import.meta.url), "utf8");
    const acknowledged: { runId: string; batches: string[][] }[] = [];
    const protocols: { protocolId: string; analysisId: string }[] = [];
    for (let round = 0; round < 3; round++) {
      const robot = await spawnRobot(dataRoot);
      await waitReady(robot);
      const call = client(robot);
      const form = new FormData();
      form.append("files", new Blob([protocolBytes]), `round${round}.json`);
      const protocolId = ((await (await fetch(`${robot.url}/protocols`, { method: "POST", body: form })).json()) as { data: { id: string } }).data.id;
      const recorded = await call("POST", `/protocols/${protocolId}/analyses`, analysis);
      protocols.push({ protocolId, analysisId: recorded.body.data.at(-1).id });
      const runId = (await call("POST", "/runs", {})).body.data.id;
      const entry = { runId, batches: [] as string[][] };
      acknowledged.push(entry);
      const killAfter = 3 + Math.floor(Math.random() * 20);
      let batch = 0;
      // Keep appending; kill -9 while a batch may be in flight, right after the killAfter-th acknowledgement.
      const writer = (async () => {
        for (;;) {
          const ids = Array.from({ length: 50 }, (_, i) => `r${round}-b${batch}-c${i}`);
          const response = await call("POST", `/runs/${runId}/commands`, { data: ids.map((id) => ({ id, commandType: "aspirate", params: { volume: 10 } })) }).catch(() => undefined);
          if (response?.status !== 201) return;
          entry.batches.push(ids);
          batch++;
          if (entry.batches.length === killAfter) robot.process.kill("SIGKILL");
        }
      })();
      await robot.exited;
      await writer;
    }
    const robot = await spawnRobot(dataRoot);
    try {
      await waitReady(robot);
      const call = client(robot);
      for (const { runId, batches } of acknowledged) {
        const page = await call("GET", `/runs/${runId}/commands?cursor=0&pageLength=100000`);
        const stored = page.body.data.map((c: { id: string }) => c.id) as string[];
        const expected = batches.flat();
        assert.deepEqual(stored.slice(0, expected.length), expected, "every acknowledged command, in order");
        assert.equal(stored.length % 50, 0, "no batch is partly there");
        assert.ok(stored.length - expected.length <= 50, "at most the one unacknowledged batch in flight");
        assert.equal((await call("GET", `/runs/${runId}`)).body.data.dataError.errorCode, "4008");
      }
      for (const { protocolId, analysisId } of protocols) {
        assert.equal((await call("GET", `/protocols/${protocolId}`)).status, 200);
        const text = await (await fetch(`${robot.url}/protocols/${protocolId}/analyses/${analysisId}/asDocument`)).text();
        assert.equal(text, analysis);
      }
    } finally {
      await robot.stop();
    }
  });
});
