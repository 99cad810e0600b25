/**
 * The robot app as a child process of the campaign: started with `node --import tsx apps/robot/main.ts --port 0`
 * on a data root, its URL read from the line it prints, `kill -9`ed at a chosen instant, restarted on the same
 * data root (a new port each time).
 *
 * @example
 * ```ts
 * const robot = await startRobotProcess({ dataRoot, token: "t", extraArgs: ["--capture-rate-hz", "1000"] });
 * await fetch(`${robot.url}/health`);
 * await robot.kill();
 * ```
 */
import { spawnTypeScript, type TypeScriptChild } from "@deckhand/crash-test";
import { fileURLToPath } from "node:url";

/** Where the robot app's entry point is. */
export const robotMain: string = fileURLToPath(new URL("../../apps/robot/main.ts", import.meta.url));

/** A started robot app. */
export interface RobotProcess {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly pid: number;
  readonly child: TypeScriptChild;
  /** `kill -9`, resolved once the process is gone (and reaped). */
  kill(): Promise<void>;
  /** SIGTERM (a clean shutdown); SIGKILL after `graceMs` (default 15 s). Resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Options of {@link startRobotProcess}. */
export interface RobotProcessOptions {
  readonly dataRoot: string;
  readonly token: string;
  /** More flags (`--capture-rate-hz 1000`, `--sync-target URL`, ...). */
  readonly extraArgs?: readonly string[];
  /** Wait until `/health` answers 200 (default true); false returns as soon as the URL is printed. */
  readonly waitReady?: boolean;
  /** Give up after this long (default 60 s). */
  readonly timeoutMs?: number;
}

/** Starts the robot app and resolves once it listens (and, by default, is ready). */
export async function startRobotProcess(options: RobotProcessOptions): Promise<RobotProcess> {
  const child = spawnTypeScript(robotMain, [
    "--port", "0", "--host", "127.0.0.1", "--data-root", options.dataRoot, "--token", options.token, ...(options.extraArgs ?? []),
  ]);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const timeout = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`the robot app did not start within ${options.timeoutMs ?? 60_000} ms; output:\n${child.lines.join("\n")}`)), deadline - Date.now());
    void child.exited.then(() => clearTimeout(timer));
  });
  try {
    const line = await Promise.race([child.waitForLine((l) => /listening on http:\/\//.test(l)), timeout]);
    const url = /(http:\/\/[^\s]+)/.exec(line)![1]!;
    if (options.waitReady ?? true) {
      for (;;) {
        if (Date.now() > deadline) throw new Error(`the robot app at ${url} was not ready in time`);
        const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) }).then(async (r) => {
          await r.body?.cancel();
          return r.status === 200;
        }, () => false);
        if (ok) break;
        if (child.process.exitCode !== null || child.process.signalCode !== null) throw new Error(`the robot app exited while booting:\n${child.lines.join("\n")}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return {
      url, pid: child.process.pid!, child,
      kill: () => child.kill(),
      async stop(graceMs = 15_000) {
        if (child.process.exitCode !== null || child.process.signalCode !== null) return child.process.exitCode;
        child.process.kill("SIGTERM");
        const timer = setTimeout(() => child.process.kill("SIGKILL"), graceMs);
        const code = await child.exited;
        clearTimeout(timer);
        return code;
      },
    };
  } catch (error) {
    await child.kill();
    throw error;
  }
}
