/**
 * Crash-test support: start a TypeScript file as a child process on the runtime the test runs on
 * (Node through the tsx loader, or Deno with all permissions), read its stdout line by line, and kill it
 * with SIGKILL at a chosen moment. Used by the modules' kill -9 tests; never published.
 *
 * @example
 * ```ts
 * const child = spawnTypeScript(new URL("./writer_test_child.ts", import.meta.url), [dir]);
 * await child.waitForLine((line) => line.startsWith("ack "));
 * await child.kill();
 * ```
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A running TypeScript child process. */
export interface TypeScriptChild {
  /** The underlying process. */
  readonly process: ChildProcess;
  /** Every complete stdout line received so far. */
  readonly lines: readonly string[];
  /** Resolves with the first stdout line (past or future) that matches; rejects if the child exits first. */
  waitForLine(match: (line: string) => boolean): Promise<string>;
  /** Sends SIGKILL (unless it already exited) and resolves once the process is gone. */
  kill(): Promise<void>;
  /** Resolves with the exit code (null when killed by a signal) once the child exits. */
  exited: Promise<number | null>;
}

/** True when running under Deno. */
export const isDeno: boolean = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

/**
 * Starts `file` (a `.ts` file URL or path) with `args` on the current runtime and collects its stdout lines.
 * Stderr is kept and attached to the rejection when the child exits before a waited-for line.
 */
export function spawnTypeScript(file: URL | string, args: readonly string[] = []): TypeScriptChild {
  const path = file instanceof URL ? fileURLToPath(file) : file;
  const runtimeArgs = isDeno ? ["run", "-A", path] : ["--import", "tsx", path];
  const child = spawn(process.execPath, [...runtimeArgs, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: { match: (line: string) => boolean; resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  let buffered = "";
  let stderr = "";
  let exitCode: number | null | undefined;
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      exitCode = code;
      for (const waiter of waiters.splice(0)) {
        waiter.reject(new Error(`child exited (code ${code}) before the expected line; stderr:\n${stderr}`));
      }
      resolve(code);
    });
  });
  return {
    process: child,
    lines,
    exited,
    waitForLine(match) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      if (exitCode !== undefined) {
        return Promise.reject(new Error(`child already exited (code ${exitCode}); stderr:\n${stderr}`));
      }
      return new Promise((resolve, reject) => waiters.push({ match, resolve, reject }));
    },
    async kill() {
      if (exitCode === undefined) child.kill("SIGKILL");
      await exited;
    },
  };
}

export { ptyPairUnavailable, startPtyPair } from "./pty_pair.ts";
export { fillDisk, withTmpfs } from "./tmpfs.ts";
