import { test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeno, ptyPairUnavailable, startPtyPair } from "@deckhand/crash-test";
import { SerialPortStream } from "@serialport/stream";
import { createSerialSource } from "./serial_source.ts";
import type { SerialBinding } from "./serial_source.ts";
import { createSimulatedTemperatureModule, parseTemperatureResponse } from "./simulated_temperature_module.ts";
import { SourceDisconnectedError } from "./errors.ts";

function skipReason(): string | undefined {
  if (isDeno) return "native serial bindings (@serialport/bindings-cpp) do not work under Deno: writes fail with a bad file descriptor";
  return ptyPairUnavailable();
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** The device end: answers every line it receives with the simulated module's G-code response. */
async function answerAsTemperatureModule(binding: SerialBinding, path: string): Promise<SerialPortStream> {
  const module = createSimulatedTemperatureModule({ seed: 11 });
  const port = new SerialPortStream({ binding, path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  let partial = "";
  port.on("data", (chunk: Buffer) => {
    partial += chunk.toString("latin1");
    let newline: number;
    while ((newline = partial.indexOf("\n")) >= 0) {
      const line = partial.slice(0, newline).trim();
      partial = partial.slice(newline + 1);
      port.write(module.respond(line));
    }
  });
  port.on("error", () => undefined); // the pty going away at socat's exit is expected in this test
  return port;
}

const skip = skipReason();
// Say why in the output too: some runners (Deno) print a skipped node:test only as "ignored".
if (skip) console.log(`serial_source_pty.test.ts skipped: ${skip}`);

test("the real @serialport/bindings-cpp reads a device on a pty pair, and reconnects after the pty disappears", { skip: skip ?? false }, async () => {
  const { autoDetect } = await import("@serialport/bindings-cpp");
  const binding = autoDetect() as SerialBinding;
  const dir = await mkdtemp(join(tmpdir(), "deckhand-"));
  const hostPath = join(dir, "host");
  const devicePath = join(dir, "device");
  let socat = await startPtyPair(hostPath, devicePath);
  let device = await answerAsTemperatureModule(binding, devicePath);
  const source = createSerialSource({
    path: hostPath,
    baudRate: 115200,
    binding,
    request: "M105\n",
    parse: parseTemperatureResponse,
    responseTimeoutMs: 500,
    backoff: { initialMs: 10, maxMs: 50 },
  });
  const signal = new AbortController().signal;
  try {
    for (let i = 0; i < 5; i++) {
      const reading = await source.read(signal);
      assert.equal(reading.targetC, null);
      assert.ok(reading.currentC > 20 && reading.currentC < 26, `reading ${reading.currentC}`);
    }
    // Unplug: the pty pair goes away.
    await stopProcess(socat);
    await assert.rejects(source.read(signal), SourceDisconnectedError);
    // Replug: a new pair at the same paths.
    socat = await startPtyPair(hostPath, devicePath);
    device = await answerAsTemperatureModule(binding, devicePath);
    let reading: Awaited<ReturnType<typeof source.read>> | undefined;
    for (let attempt = 0; attempt < 100 && !reading; attempt++) {
      reading = await source.read(signal).catch((error: unknown) => {
        assert.ok(error instanceof SourceDisconnectedError, String(error));
        return new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10));
      });
    }
    assert.ok(reading, "reads resumed after the device came back");
    assert.equal(source.stats().reconnects, 1);
    assert.ok(source.stats().gapMs > 0);
  } finally {
    await source.close();
    if (device.isOpen) await new Promise((resolve) => device.close(resolve));
    await stopProcess(socat);
    await rm(dir, { recursive: true, force: true });
  }
});
