/**
 * The hostile-input phase: the generated corpus sent over raw sockets to the running robot app. Each case must
 * get its required answer (never a 5xx, never a hang); a refused request that writes must have changed nothing
 * (runs, the run under attack, protocols, analyses: compared before and after); slow-loris requests must not stop
 * the server answering others; no hostile file name may create a file outside the data root; and the process must
 * be the same, alive one at the end.
 *
 * @example
 * ```ts
 * const { figures, failures } = await runHostileInputPhase({ robot, client, token, seed: 3, slowLorisMs: 5000, workDir, log });
 * ```
 */
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { generateHostileCorpus, type HostileCase, hostileClasses, judgeAnswer } from "./hostile_corpus.ts";
import { sendRawRequest } from "./raw_http.ts";
import type { RobotClient } from "./robot_client.ts";
import type { RobotUnderTest } from "./robot_under_test.ts";
import type { Scorecard } from "./scorecard.ts";

const fixtures = new URL("../../fixtures/opentrons/", import.meta.url);

/** The figures and failures of the phase. */
export interface HostileInputResult {
  readonly figures: NonNullable<Scorecard["hostile"]>;
  readonly failures: readonly string[];
}

/** Runs the phase against the running robot (the caller pauses its load first). */
export async function runHostileInputPhase(options: {
  robot: RobotUnderTest;
  client: RobotClient;
  token: string;
  seed: number;
  slowLorisMs: number;
  workDir: string;
  log: (line: string) => void;
  /** Request-body limit of the robot (default 32 MiB, the app's default). */
  bodyLimitBytes?: number;
}): Promise<HostileInputResult> {
  const { client, robot } = options;
  const failures: string[] = [];
  const url = robot.url();
  const pid = robot.process()?.pid;
  if (!url || !pid) throw new Error("the robot is not running");

  // What the corpus is aimed at: a protocol with an analysis, and a current, running run with a command.
  const protocolBytes = await readFile(new URL("protocol-simpleFlexV8.json", fixtures));
  const form = new FormData();
  form.append("files", new Blob([protocolBytes], { type: "application/json" }), "simpleFlexV8.json");
  const uploaded = await fetch(`${url}/protocols`, { method: "POST", body: form, headers: { authorization: `Bearer ${options.token}` } });
  const protocolText = await uploaded.text();
  if (uploaded.status !== 201 && uploaded.status !== 200) throw new Error(`POST /protocols answered ${uploaded.status}: ${protocolText.slice(0, 300)}`);
  const protocolId = (JSON.parse(protocolText) as { data: { id: string } }).data.id;
  const analysis = await client.request("POST", `/protocols/${protocolId}/analyses`, await readFile(new URL("analysis-no-pipettes.json", fixtures), "utf8"));
  const analysisId = analysis.ok && analysis.status < 300 ? ((analysis.body as { data: { id: string }[] }).data.at(-1)?.id) : undefined;
  if (!analysisId) options.log(`hostile input: no analysis to aim at (POST analyses answered ${analysis.ok ? analysis.status : analysis.error})`);
  // The load's run may be current and running: stop and archive it (the load starts another afterwards).
  const listed = await client.request("GET", "/runs?pageLength=1");
  const currentId = listed.ok ? (listed.body as { links?: { current?: { href: string } } }).links?.current?.href.split("/").pop() : undefined;
  if (currentId) {
    await client.request("POST", `/runs/${currentId}/actions`, { data: { actionType: "stop" } });
    await client.request("PATCH", `/runs/${currentId}`, { data: { current: false } });
  }
  const run = await client.request("POST", "/runs", { data: {} });
  if (!run.ok || run.status !== 201) throw new Error(`POST /runs answered ${run.ok ? `${run.status} ${run.text.slice(0, 300)}` : run.error}`);
  const runId = (run.body as { data: { id: string } }).data.id;
  await client.request("POST", `/runs/${runId}/actions`, { data: { actionType: "play" } });
  const commandId = `hostile-target-${options.seed}`;
  const appended = await client.request("POST", `/runs/${runId}/commands`, { data: { id: commandId, commandType: "home", status: "succeeded" } });
  if (!appended.ok || appended.status !== 201) throw new Error(`appending the target command answered ${appended.ok ? appended.status : appended.error}`);

  const snapshot = async (): Promise<string> => {
    const parts = await Promise.all([
      client.request("GET", "/runs"), client.request("GET", `/runs/${runId}`), client.request("GET", "/protocols"),
      client.request("GET", `/protocols/${protocolId}/analyses`),
    ]);
    return JSON.stringify(parts.map((p) => {
      if (!p.ok) return p.error;
      const body = p.body as { data?: unknown; meta?: unknown };
      // Compare what a write changes: counts, ids, statuses, command counts, actions.
      if (Array.isArray(body.data)) return { meta: body.meta, ids: (body.data as { id: string; status?: string }[]).map((d) => `${d.id}:${d.status ?? ""}`) };
      const d = body.data as { status?: string; commandCount?: number; actions?: unknown[]; current?: boolean } | undefined;
      return { status: d?.status, commandCount: d?.commandCount, actions: d?.actions?.length, current: d?.current };
    }));
  };

  const corpus = generateHostileCorpus({
    seed: options.seed, runId, commandId, protocolId, ...(analysisId ? { analysisId } : {}), token: options.token,
    bodyLimitBytes: options.bodyLimitBytes ?? 32 << 20, slowIntervalMs: 500,
    protocolFile: { name: "simpleFlexV8.json", bytes: protocolBytes },
  });
  const byClass: Record<string, { tried: number; passed: number; answeredBy: Record<string, number> }> = {};
  for (const cls of hostileClasses) byClass[cls] = { tried: 0, passed: 0, answeredBy: {} };
  let refusedButChanged = 0;
  const record = (c: HostileCase, answeredAs: string, ok: boolean) => {
    const entry = byClass[c.class]!;
    entry.tried++;
    if (ok) entry.passed++;
    entry.answeredBy[answeredAs] = (entry.answeredBy[answeredAs] ?? 0) + 1;
    if (!ok) failures.push(`hostile input "${c.id}" (expected ${c.expected}) was answered ${answeredAs}`);
  };

  // Slow loris first, all at once, while the server must keep answering /health.
  const slow = corpus.filter((c) => c.class === "slow-loris");
  let probesFailed = 0;
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const health = await client.request("GET", "/health", undefined, { timeoutMs: 5000 });
      if (!health.ok || health.status !== 200) probesFailed++;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  await Promise.all(slow.map(async (c) => {
    const answer = await sendRawRequest(url, c.request, { timeoutMs: options.slowLorisMs, ...c.send });
    const verdict = judgeAnswer(c, answer);
    record(c, verdict.answeredAs === "timeout" ? "held until the client gave up" : verdict.answeredAs, verdict.ok);
  }));
  probing = false;
  await prober;
  if (probesFailed > 0) failures.push(`hostile input: /health failed ${probesFailed} times while slow-loris requests were open`);

  for (const c of corpus.filter((x) => x.class !== "slow-loris")) {
    const before = c.mutating ? await snapshot() : "";
    const answer = await sendRawRequest(url, c.request, { timeoutMs: 30_000, ...c.send });
    const verdict = judgeAnswer(c, answer);
    record(c, verdict.answeredAs, verdict.ok);
    if (c.mutating && answer.status !== null && answer.status >= 400) {
      const after = await snapshot();
      if (after !== before) {
        refusedButChanged++;
        failures.push(`hostile input "${c.id}" was refused (${answer.status}) but changed state: before ${before.slice(0, 300)} after ${after.slice(0, 300)}`);
      }
    }
    if (robot.process()?.child.process.exitCode !== null) {
      failures.push(`hostile input "${c.id}" crashed the robot app`);
      break;
    }
  }

  // Path traversal in file names: nothing with the marker outside the data root.
  const marker = `deckhand-escape-${options.seed}`;
  const found = spawnSync("find", ["/tmp", options.workDir, "-maxdepth", "4", "-name", `*${marker}*`, "-not", "-path", `${robot.dataRoot}/*`], { encoding: "utf8" });
  const escapes = found.stdout.split("\n").filter(Boolean);
  for (const path of escapes) failures.push(`a hostile protocol file name escaped the data root: ${path} exists`);

  const health = await client.request("GET", "/health");
  const serverAlive = health.ok && health.status === 200 && robot.process()?.pid === pid;
  if (!serverAlive) failures.push(`the robot app did not survive the hostile corpus (health: ${health.ok ? health.status : health.error})`);
  options.log(`hostile input: ${corpus.length} cases, ${failures.length} failures`);
  return { figures: { byClass, serverAlive, refusedButChanged, escapes: escapes.length }, failures };
}
