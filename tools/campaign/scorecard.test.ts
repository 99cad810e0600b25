import { test } from "node:test";
import assert from "node:assert/strict";
import { renderScorecard, type Scorecard } from "./scorecard.ts";

const base: Scorecard = {
  mode: "long", seed: 7, startedAt: "2026-11-29T20:00:00.000Z", seconds: 1800, environment: "Linux, 2 cores, Node 20",
  phases: [
    { name: "kill-rounds", status: "passed", seconds: 600 },
    { name: "full-disk", status: "skipped", seconds: 0, reason: "not running as root" },
  ],
  kills: { rounds: 52, acknowledgedRuns: 300, acknowledgedCommands: 41_000, commandReads: 45_000, writesLost: 0, writesChanged: 0, writesReordered: 0 },
  capture: { sessions: 53, messagesFound: 900_000, requiredMessages: 880_000, lostBeyondWindow: 0, flushIntervalMs: 500, unreadableFiles: 0 },
  files: { seen: 400, exactlyOnce: 400, pendingOnRobot: 0, lost: 0, duplicated: 0, wrongHash: 0 },
  hostile: { byClass: { "lone-surrogate": { tried: 65, passed: 65, answeredBy: { "422": 60, "400": 5 } } }, serverAlive: true, refusedButChanged: 0, escapes: 0 },
  load: { requests: 50_000, seconds: 600, requestsPerSecond: 83.3, p50Ms: 4.2, p99Ms: 31.5, errors: 0 },
  soak: { seconds: 600, samples: 600, start: { rssBytes: 100 << 20, openFds: 40 }, end: { rssBytes: 104 << 20, openFds: 41 }, flat: true },
  failures: [],
};

test("the scorecard shows the measured figures and says which phase was skipped and why", () => {
  const md = renderScorecard(base);
  assert.match(md, /Campaign: long, seed 7.*\*\*passed\*\*/);
  assert.match(md, /kill -9 rounds \(each followed by a restart and the checks\) \| 52 \|/);
  assert.match(md, /acknowledged writes checked \(runs \+ commands\) \| 41,300/);
  assert.match(md, /acknowledged writes lost \| 0 \|/);
  assert.match(md, /lost beyond the flush window \(500 ms\) \| 0 /);
  assert.match(md, /exactly once, right hash \| 400 of 400/);
  assert.match(md, /\| lone-surrogate \| 65 \| 65 \| 400 ×5, 422 ×60 \|/);
  assert.match(md, /83 \(p50 4\.2 ms, p99 31\.5 ms\)/);
  assert.match(md, /100\.0 MiB → 104\.0 MiB \/ 40 → 41/);
  assert.match(md, /## Full disk\n\nskipped: not running as root/);
  assert.match(md, /## Upgrade and downgrade\n\nnot run in this campaign/);
  assert.match(md, /## Failures found\n\nNone\./);
});

test("a failure turns the verdict and is listed precisely", () => {
  const md = renderScorecard({ ...base, failures: ["round 3: run r1 command c9 missing after restart"], kills: { ...base.kills!, writesLost: 1 } });
  assert.match(md, /\*\*FAILED\*\*/);
  assert.match(md, /acknowledged writes lost \| 1 \|/);
  assert.match(md, /- round 3: run r1 command c9 missing after restart/);
  const phaseFailed = renderScorecard({ ...base, phases: [{ name: "soak", status: "failed", seconds: 5, reason: "fds grew | a lot" }] });
  assert.match(phaseFailed, /\*\*FAILED\*\*/);
  assert.match(phaseFailed, /\| soak \| failed \| 5 \| fds grew \\\| a lot \|/);
});
