/**
 * The robot app's HTTP hot paths with autocannon on loopback, against the real app in a child process (capture
 * at 10 Hz and the sync worker running in it). Every group's baseline is a trivial Hono route in the same
 * process (`GET /bench/trivial`, same middleware), so each ratio says how close a route gets to the framework's
 * ceiling on this machine. One measured call is one autocannon run of `amount` requests over 8 connections (fewer if `amount` is smaller)
 * (sampled every 10 ms: at autocannon's default 1 s a run would end on the next whole second);
 * throughput is in requests per second. Sizes (quick / full):
 * - `GET /runs/:id/commands`, pages of 100 from a 1,000 / 10,000-command run, cursors spread over the run;
 * - `asDocument` of the 2.9 MB analysis (`analysis-normalize-long-right.json`, 2.8 MiB on disk) raw, and the same
 *   analysis parsed and re-serialised (`GET .../analyses/A`); a second group puts raw against parse-and-stringify;
 * - `GET /runs` over 100 / 1,000 runs (every run decoded and listed);
 * - `POST /runs/:id/commands`, one command per request, appended while capture and sync run.
 * p99 latencies of one autocannon run per route are reported as metrics.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { type BenchGroup, type BenchMetric, type BenchTask, defineSuite } from "../harness.ts";

const fixtures = new URL("../../fixtures/opentrons/", import.meta.url);
const CONNECTIONS = 8;

interface Robot {
  readonly url: string;
  readonly child: ChildProcess;
  readonly dir: string;
}

async function startChild(): Promise<Robot> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-bench-robot-"));
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./robot_bench_child.ts", import.meta.url)), dir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  // Never leave the app running if this bench process ends early (a failed group skips the metrics' stop).
  process.once("exit", () => child.kill("SIGKILL"));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`the robot bench child exited (${code})`)));
  });
  return { url, child, dir };
}

async function stopChild(robot: Robot): Promise<void> {
  const exited = new Promise((resolve) => robot.child.once("exit", resolve));
  robot.child.kill("SIGTERM");
  await exited;
  await rm(robot.dir, { recursive: true, force: true });
}

async function json(url: string, init?: RequestInit): Promise<any> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    // A pooled keep-alive connection can be reset as it is reused; set-up steps are safe to send again.
    console.error(`bench/robot: ${init?.method ?? "GET"} ${url} failed (${String((error as Error).cause ?? error)}); retrying once`);
    response = await fetch(url, init);
  }
  if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${url}: ${response.status} ${await response.text()}`);
  return await response.json();
}

type Request = NonNullable<autocannon.Options["requests"]>[number];

/** One autocannon run of `amount` requests; throws on any non-2xx answer or error. */
async function cannon(url: string, amount: number, requests?: Request[]): Promise<autocannon.Result> {
  const result = await autocannon({ url, connections: Math.min(CONNECTIONS, amount), amount, sampleInt: 10, ...(requests ? { requests } : {}) });
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(`autocannon ${url}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`);
  }
  return result;
}

function task(name: string, url: string, amount: number, requests?: () => Request[]): BenchTask {
  return { name, unit: "requests", unitsPerOp: amount, fn: () => cannon(url, amount, requests?.()) };
}

let robot: Robot | undefined;
const urls = new Map<string, { url: string; requests?: () => Request[] }>();

async function setUp(quick: boolean): Promise<Robot> {
  const r = await startChild();
  const commandCount = quick ? 1_000 : 10_000;
  const run = (await json(`${r.url}/runs`, { method: "POST" })).data.id as string;
  const sample = JSON.parse(await readFile(new URL("analysis-e2e-modules-ot2.json", fixtures), "utf8")).commands as Record<string, unknown>[];
  for (let start = 0; start < commandCount; start += 1000) {
    const data = Array.from({ length: 1000 }, (_, i) => ({ ...sample[(start + i) % sample.length], id: `cmd-${start + i}` }));
    await json(`${r.url}/runs/${run}/commands`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data }) });
  }
  await json(`${r.url}/runs/${run}/actions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: { actionType: "stop" } }) });
  const runCount = quick ? 100 : 1_000;
  for (let i = 1; i < runCount; i++) await json(`${r.url}/runs`, { method: "POST" });
  const form = new FormData();
  form.append("files", new Blob([await readFile(new URL("protocol-moveLabware.json", fixtures))]), "moveLabware.json");
  const protocol = (await json(`${r.url}/protocols`, { method: "POST", body: form })).data.id as string;
  const analysisText = await readFile(new URL("analysis-normalize-long-right.json", fixtures), "utf8");
  const analysis = (await json(`${r.url}/protocols/${protocol}/analyses`, { method: "POST", headers: { "content-type": "application/json" }, body: analysisText })).data[0].id as string;
  // The appends go to the newest (current) run; it stays current and idle-or-running while the bench appends.
  const current = (await json(`${r.url}/runs?pageLength=1`)).data[0].id as string;
  let next = 0;
  urls.set("trivial", { url: `${r.url}/bench/trivial` });
  urls.set("commands", {
    url: `${r.url}/runs/${run}/commands`,
    requests: () => [{ method: "GET", setupRequest: (req) => ({ ...req, path: `/runs/${run}/commands?cursor=${Math.floor(Math.random() * (commandCount - 100))}&pageLength=100` }) }],
  });
  urls.set("asDocument", { url: `${r.url}/protocols/${protocol}/analyses/${analysis}/asDocument` });
  urls.set("analysis", { url: `${r.url}/protocols/${protocol}/analyses/${analysis}` });
  urls.set("runs", { url: `${r.url}/runs` });
  urls.set("append", {
    url: `${r.url}/runs/${current}/commands`,
    requests: () => [{
      method: "POST",
      headers: { "content-type": "application/json" },
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ data: { id: `append-${next++}`, commandType: "aspirate", status: "succeeded", params: { pipetteId: "p1", volume: 10 } } }) }),
    }],
  });
  return r;
}

function routeTask(name: string, key: string, amount: number): BenchTask {
  const entry = urls.get(key)!;
  return task(name, entry.url, amount, entry.requests);
}

export default defineSuite({
  name: "robot",
  async groups({ quick }): Promise<BenchGroup[]> {
    robot = await setUp(quick);
    // Requests per measured call, by route cost, so that a call takes about a second on a small machine.
    const amount = { trivial: quick ? 200 : 2_000, commands: quick ? 40 : 200, asDocument: quick ? 8 : 40, analysis: quick ? 4 : 20, runs: quick ? 8 : 40, append: quick ? 50 : 500 };
    const trivial = (): BenchTask => routeTask("trivial Hono route, same process", "trivial", amount.trivial);
    const raw = (): BenchTask => routeTask("asDocument (stored text, raw)", "asDocument", amount.asDocument);
    const parsed = (): BenchTask => routeTask("GET analysis (parse + stringify)", "analysis", amount.analysis);
    const groups: BenchGroup[] = [
      { name: `GET /runs/:id/commands, pages of 100 of a ${quick ? "1,000" : "10,000"}-command run`, baseline: trivial(), tasks: [routeTask("command page (cursor spread over the run)", "commands", amount.commands)] },
      { name: "GET asDocument of the 2.9 MB analysis", baseline: trivial(), tasks: [raw(), parsed()] },
      { name: "2.9 MB analysis: raw vs parse-and-stringify", baseline: parsed(), tasks: [raw()] },
      { name: `GET /runs over ${quick ? "100" : "1,000"} runs`, baseline: trivial(), tasks: [routeTask("GET /runs (every run)", "runs", amount.runs)] },
      { name: "POST one command per request while capture and sync run", baseline: trivial(), tasks: [routeTask("append one command", "append", amount.append)] },
    ];
    return groups;
  },
  async metrics({ quick }): Promise<BenchMetric[]> {
    const metrics: BenchMetric[] = [];
    try {
      for (const [key, label] of [["trivial", "trivial route"], ["commands", "command page"], ["asDocument", "asDocument 2.9 MB"], ["analysis", "analysis parse+stringify"], ["runs", "GET /runs"], ["append", "append one command"]] as const) {
        const entry = urls.get(key)!;
        const heavy = key === "asDocument" || key === "analysis" || key === "runs" || key === "commands";
        const result = await cannon(entry.url, heavy ? (quick ? 16 : 100) : (quick ? 200 : 1_000), entry.requests?.());
        metrics.push({ name: `${label} p99`, value: result.latency.p99, unit: "ms", note: `${Math.round(result.requests.total / Math.max(result.duration, 1e-3))} req/s over ${CONNECTIONS} connections` });
      }
    } finally {
      if (robot) await stopChild(robot);
      robot = undefined;
    }
    return metrics;
  },
});
