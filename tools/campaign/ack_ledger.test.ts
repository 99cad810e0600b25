import { test } from "node:test";
import assert from "node:assert/strict";
import { type AckReader, checkAcknowledgedWrites, createAckLedger } from "./ack_ledger.ts";

/** A reader over an in-memory "server": run id -> command id -> served JSON. */
function readerOver(server: Map<string, Map<string, string>>) {
  const reads: string[] = [];
  const reader: AckReader = {
    hasRun: async (runId) => server.has(runId),
    commandJson: async (runId, commandId) => {
      reads.push(commandId);
      return server.get(runId)?.get(commandId);
    },
  };
  return { reader, reads };
}

const cmd = (id: string, extra = "") => ({ id, json: `{"id":"${id}","commandType":"home"${extra}}` });

test("every acknowledged run and command present and byte-equal passes", async () => {
  const ledger = createAckLedger();
  ledger.acknowledgeRun("r1");
  ledger.acknowledgeCommands("r1", [cmd("a"), cmd("b", ',"params":{"x":1}')]);
  const server = new Map([["r1", new Map([["a", cmd("a").json], ["b", '{"id":"b","commandType":"home","params":{"x":1}}']])]]);
  const report = await checkAcknowledgedWrites(ledger, readerOver(server).reader);
  assert.deepEqual(report, { checkedRuns: 1, checkedCommands: 2, missingRuns: [], missingCommands: [], changedCommands: [] });
  assert.deepEqual(ledger.counts(), { runs: 1, commands: 2 });
});

test("a lost run, a lost command and a changed command are each reported", async () => {
  const ledger = createAckLedger();
  ledger.acknowledgeRun("r1");
  ledger.acknowledgeRun("gone");
  ledger.acknowledgeCommands("r1", [cmd("a"), cmd("b"), cmd("c", ',"p":1,"q":2')]);
  const server = new Map([["r1", new Map([["a", '{"id":"a","commandType":"HOME"}'], ["c", '{"id":"c","commandType":"home","q":2,"p":1}']])]]);
  const report = await checkAcknowledgedWrites(ledger, readerOver(server).reader);
  assert.deepEqual(report.missingRuns, ["gone"]);
  assert.deepEqual(report.missingCommands, [{ runId: "r1", commandId: "b" }]);
  assert.deepEqual(report.changedCommands.map((c) => [c.commandId, c.reorderedOnly]), [["a", false], ["c", true]]);
});

test("onlyUnchecked reads what is new since the last good check plus a sample of older commands", async () => {
  const ledger = createAckLedger();
  ledger.acknowledgeRun("r1");
  const first = Array.from({ length: 30 }, (_, i) => cmd(`c${i}`));
  ledger.acknowledgeCommands("r1", first);
  const served = new Map(first.map((c) => [c.id, c.json]));
  const { reader, reads } = readerOver(new Map([["r1", served]]));
  assert.equal((await checkAcknowledgedWrites(ledger, reader, { onlyUnchecked: true })).checkedCommands, 30);
  reads.length = 0;
  assert.equal((await checkAcknowledgedWrites(ledger, reader, { onlyUnchecked: true, sampleOld: 0 })).checkedRuns, 0, "nothing new");
  assert.equal((await checkAcknowledgedWrites(ledger, reader, { onlyUnchecked: true, sampleOld: 2 })).checkedCommands, 2, "a sample of old ones");
  ledger.acknowledgeCommands("r1", [cmd("new")]);
  served.set("new", cmd("new").json);
  const report = await checkAcknowledgedWrites(ledger, reader, { onlyUnchecked: true, sampleOld: 2 });
  assert.equal(report.checkedCommands, 3);
  assert.ok(reads.includes("new"));
  ledger.acknowledgeDelete("r1");
  assert.deepEqual(ledger.counts(), { runs: 0, commands: 0 });
});
