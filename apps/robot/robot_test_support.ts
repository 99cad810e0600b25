/**
 * Test support (not part of the app): start the real robot app (`main.ts`) as a child process on 127.0.0.1
 * port 0 with a temp data root, wait for it to listen (and to be ready), send requests, stop it with a signal.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** A robot app child process. */
export interface RobotChild {
  readonly url: string;
  readonly dataRoot: string;
  readonly process: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Sends `signal` and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once the process exits by itself. */
  readonly exited: Promise<number | null>;
}

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

/** Spawns `main.ts` with `args`; resolves once it printed its URL (rejects with its output if it exits first). */
export async function spawnRobot(dataRoot: string, args: readonly string[] = [], env: Record<string, string> = {}): Promise<RobotChild> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, "--port", "0", "--data-root", dataRoot, "--capture-flush-ms", "100", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    exited.then((code) => reject(new Error(`the robot app exited (${code}) before listening:\n${output}`)));
  });
  return {
    url,
    dataRoot,
    process: child,
    output: () => output,
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return await exited;
    },
  };
}

/** Polls `/health` until it answers 200. */
export async function waitReady(robot: RobotChild): Promise<void> {
  for (;;) {
    const response = await fetch(`${robot.url}/health`);
    await response.arrayBuffer();
    if (response.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs `fn` with a started, ready robot on a fresh temp data root; stops it and removes the root afterwards. */
export async function withRobot(fn: (robot: RobotChild) => Promise<void>, args: readonly string[] = []): Promise<void> {
  await withDataRoot(async (dataRoot) => {
    const robot = await spawnRobot(dataRoot, args);
    try {
      await waitReady(robot);
      await fn(robot);
    } finally {
      await robot.stop("SIGTERM");
    }
  });
}

/** Calls `fn` with a new temp directory, removed afterwards. */
export async function withDataRoot(fn: (dataRoot: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-robot-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A small JSON HTTP client for a robot. */
export function client(robot: RobotChild, token?: string) {
  return async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers; text: string }> {
    const init: RequestInit = { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    }
    const response = await fetch(`${robot.url}${path}`, init);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      parsed = undefined; // not JSON: the caller reads `text`
    }
    return { status: response.status, body: parsed, headers: response.headers, text };
  };
}
