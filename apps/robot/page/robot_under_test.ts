/**
 * The robot the browser test drives: the real app (`apps/robot/main.ts`) as a child process on 127.0.0.1, with
 * a temp data root and an API token. The data root starts as a v1 robot's (`@deckhand/migrate`'s fixture writer,
 * half its records corrupt), so the boot runs the real migration and its quarantined records are real bad runs;
 * a finished run and a running one are then made through the API. Capture files finish every 2 s, so the sync
 * service (its default target: a directory in the data root) has files to upload while the test watches.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeV1Fixture } from "@deckhand/migrate";

/** What the browser test needs from a robot. */
export interface BrowserRobot {
  readonly url: string;
  /** The API token the robot requires for mutations. */
  readonly token: string;
  readonly goodRunIds: readonly string[];
  readonly badRunId: string;
  /** The bad run's code, as the page shows it. */
  readonly badRunCode: string;
  /** A run that accepts commands right after start. */
  readonly liveRunId: string;
  /** The collector whose plot the test watches. */
  readonly collector: string;
  appendCommand(runId: string): Promise<void>;
  runExists(runId: string): Promise<boolean>;
  /** A run that accepts commands after a restart (a new one: the running one was interrupted). */
  runAcceptingCommands(): Promise<string>;
  /** Stops the robot (SIGTERM, as a service manager would). */
  stop(): Promise<void>;
  /** Starts the robot again on the same port with the same data root. */
  restart(): Promise<void>;
  /** Stops the robot if it runs and removes its data root. */
  dispose(): Promise<void>;
}

const main = fileURLToPath(new URL("../main.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const bootTimeoutMs = 60_000;

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
}

/** Real Opentrons commands (a vendored analysis) for the v1 fixture's runs. */
async function sampleCommands(): Promise<Record<string, unknown>[]> {
  const analysis = JSON.parse(await readFile(new URL("../../../fixtures/opentrons/analysis-thermocycler-error.json", import.meta.url), "utf8"));
  return (analysis as { commands: Record<string, unknown>[] }).commands;
}

/** Starts main.ts and resolves once it printed its URL and (unless `bootDelayMs` is given) that it is ready. */
async function startApp(dataRoot: string, port: number, token: string, bootDelayMs?: number): Promise<Running> {
  const args = ["--import", "tsx", main, "--port", String(port), "--data-root", dataRoot, "--token", token, "--capture-rate-hz", "5", "--capture-file-age-ms", "2000"];
  // DECKHAND_TEST_BOOT_DELAY_MS: the app's test hook that makes its boot a ten-step migration of that length.
  const env = bootDelayMs ? { ...process.env, DECKHAND_TEST_BOOT_DELAY_MS: String(bootDelayMs) } : process.env;
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  return new Promise<Running>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the robot did not get ready within ${bootTimeoutMs} ms:\n${output}`));
    }, bootTimeoutMs);
    let url: string | undefined;
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      url ??= /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (url && (bootDelayMs || output.includes("deckhand robot ready"))) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the robot exited with ${code} before it was ready:\n${output}`));
    });
  });
}

async function stopApp(running: Running, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  const exited = once(running.child, "exit");
  running.child.kill(signal);
  const timer = setTimeout(() => running.child.kill("SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}

/** Starts the real robot, seeded with a finished run, an interrupted (bad) run and a running run. */
export async function startRobotUnderTest(): Promise<BrowserRobot> {
  const dataRoot = await mkdtemp(join(tmpdir(), "deckhand-status-page-"));
  const token = "browser-test-token";
  await writeV1Fixture({ root: dataRoot, runs: 4, commandsPerRun: 5, corrupt: 0.5, seed: 3, sampleCommands: await sampleCommands() });
  let running: Running | undefined = await startApp(dataRoot, 0, token);
  const url = running.url;
  const port = Number(new URL(url).port);

  const api = async (method: string, path: string, body?: unknown): Promise<{ data?: Record<string, unknown> }> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return JSON.parse(text) as { data?: Record<string, unknown> };
  };
  let commandNumber = 0;
  const appendCommand = async (runId: string) => {
    const now = new Date().toISOString();
    const command = (n: number) => ({ id: `cmd-${n}`, key: `key-${n}`, commandType: "aspirate", status: "succeeded", createdAt: now, startedAt: now, completedAt: now, params: {} });
    await api("POST", `/runs/${runId}/commands`, { data: command(++commandNumber) });
  };
  const startRun = async () => {
    const id = String((await api("POST", "/runs", { data: {} })).data!["id"]);
    await api("POST", `/runs/${id}/actions`, { data: { actionType: "play" } });
    return id;
  };
  const restart = async () => {
    running = await startApp(dataRoot, port, token);
  };
  const stop = async () => {
    if (running) await stopApp(running);
    running = undefined;
  };

  try {
    const listed = ((await api("GET", "/runs")).data ?? []) as unknown as { id: string; dataError?: { meta?: { code?: string } } }[];
    const quarantined = listed.find((run) => run.dataError?.meta?.code === "MIGRATION_QUARANTINED");
    if (!quarantined) throw new Error("the v1 fixture should leave a quarantined run after the migration");
    const finished = await startRun();
    for (let i = 0; i < 3; i++) await appendCommand(finished);
    await api("POST", `/runs/${finished}/actions`, { data: { actionType: "stop" } });
    const live = await startRun();
    return {
      url,
      token,
      goodRunIds: [finished, live],
      badRunId: quarantined.id,
      badRunCode: "MIGRATION_QUARANTINED",
      liveRunId: live,
      collector: "temp-module",
      appendCommand,
      runExists: async (runId) => {
        const response = await fetch(`${url}/runs/${runId}`);
        await response.body?.cancel();
        return response.ok;
      },
      runAcceptingCommands: startRun,
      stop,
      restart,
      dispose: async () => {
        await stop();
        await rm(dataRoot, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stop();
    await rm(dataRoot, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A robot migrating a v1 data root (written by `@deckhand/migrate`'s fixture writer, a quarter of its records
 * corrupt, so some are quarantined), its migration held back by `bootDelayMs` with the app's test hook.
 */
export async function startMigratingRobot(bootDelayMs: number): Promise<{ url: string; dispose(): Promise<void> }> {
  const dataRoot = await mkdtemp(join(tmpdir(), "deckhand-status-page-migrating-"));
  try {
    await writeV1Fixture({ root: dataRoot, runs: 12, commandsPerRun: 20, corrupt: 0.25, seed: 3, sampleCommands: await sampleCommands() });
    const running = await startApp(dataRoot, 0, "browser-test-token", bootDelayMs);
    return {
      url: running.url,
      dispose: async () => {
        await stopApp(running);
        await rm(dataRoot, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataRoot, { recursive: true, force: true });
    throw error;
  }
}
