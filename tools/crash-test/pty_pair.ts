/**
 * A pseudo-terminal pair for serial tests: `socat` links two ptys, one end for the code under test and one for a
 * simulated device. Test support, never published.
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";

/** Why a pty pair cannot be set up here (not Linux, or no `socat`), or undefined when it can. */
export function ptyPairUnavailable(): string | undefined {
  if (process.platform !== "linux") return `pseudo-terminal pairs via socat are only set up on Linux, not ${process.platform}`;
  const probe = spawnSync("socat", ["-V"], { stdio: "ignore" });
  if (probe.error || probe.status !== 0) return "socat not installed (apt-get install -y socat; the test command does it as root)";
  return undefined;
}

/**
 * Starts `socat` linking two pseudo-terminals at the paths `a` and `b`; resolves once it is relaying, rejects if
 * it exits first. Stop it with `kill("SIGTERM")`.
 *
 * @example
 * ```ts
 * const socat = await startPtyPair(join(dir, "host"), join(dir, "device"));
 * try { ... } finally { socat.kill("SIGTERM"); }
 * ```
 */
export async function startPtyPair(a: string, b: string): Promise<ChildProcess> {
  const socat = spawn("socat", ["-d", "-d", `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    socat.stderr!.setEncoding("utf8");
    socat.stderr!.on("data", (chunk: string) => {
      stderr += chunk;
      if (stderr.includes("starting data transfer loop")) resolve();
    });
    socat.once("exit", (code) => reject(new Error(`socat exited (${code}): ${stderr}`)));
  });
  return socat;
}
