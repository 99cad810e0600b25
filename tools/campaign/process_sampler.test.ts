import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { judgeFlat, parsePrometheusText, type ProcessSample, sampleProcess, startProcessSampler } from "./process_sampler.ts";

test("sampleProcess reads a real child's memory and sees the descriptors it opens", async () => {
  const child = spawn(process.execPath, ["-e", `
    const fs = require("node:fs");
    process.stdin.on("data", () => { for (let i = 0; i < 20; i++) fs.openSync("/dev/null", "r"); console.log("opened"); });
    console.log("ready");`], { stdio: ["pipe", "pipe", "inherit"] });
  const lines: string[] = [];
  const waitFor = (line: string) => new Promise<void>((resolve) => {
    const check = () => (lines.includes(line) ? resolve() : setTimeout(check, 10));
    check();
  });
  child.stdout.setEncoding("utf8").on("data", (d: string) => lines.push(...d.split("\n").filter(Boolean)));
  try {
    await waitFor("ready");
    const before = await sampleProcess(child.pid!);
    assert.ok(before.rssBytes > 1 << 20, "a node process uses more than 1 MiB");
    child.stdin.write("go\n");
    await waitFor("opened");
    const after = await sampleProcess(child.pid!);
    assert.equal(after.openFds - before.openFds, 20);
    assert.equal(after.heapUsedBytes, undefined, "no metrics URL, no heap figure");
  } finally {
    child.kill("SIGKILL");
  }
});

test("heap and event-loop delay come from the process's Prometheus metrics", async () => {
  const server = createServer((_req, res) => res.end(
    "# HELP nodejs_heap_size_used_bytes heap\nnodejs_heap_size_used_bytes 1234567\nnodejs_eventloop_lag_p99_seconds{x=\"1\"} 0.025\n",
  ));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    const sample = await sampleProcess(process.pid, url);
    assert.equal(sample.heapUsedBytes, 1234567);
    assert.equal(sample.eventLoopDelayMs, 25);
    const sampler = startProcessSampler({ pid: process.pid, intervalMs: 20, metricsUrl: url });
    await new Promise((resolve) => setTimeout(resolve, 120));
    const samples = await sampler.stop();
    assert.ok(samples.length >= 2);
    assert.deepEqual(sampler.errors(), []);
  } finally {
    server.close();
  }
  assert.deepEqual([...parsePrometheusText("a 1\nb{l=\"x\"} 2.5\n# c 3\nbad line\n").entries()], [["a", 1], ["b", 2.5]]);
});

test("judgeFlat passes a flat soak and names what grew in a leaking one", () => {
  const flat: ProcessSample[] = Array.from({ length: 50 }, (_, i) => ({ t: i, rssBytes: 80e6 + (i % 3) * 1e6, openFds: 30 + (i % 2) }));
  assert.equal(judgeFlat(flat).ok, true);
  const leaking: ProcessSample[] = Array.from({ length: 50 }, (_, i) => ({ t: i, rssBytes: 80e6 + i * 4e6, openFds: 30 + i }));
  const verdict = judgeFlat(leaking);
  assert.equal(verdict.ok, false);
  assert.equal(verdict.reasons.length, 2);
  assert.ok(verdict.end.rssBytes > verdict.start.rssBytes);
  assert.throws(() => judgeFlat([flat[0]!]), RangeError);
});
