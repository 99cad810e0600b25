import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { SerialPortStream } from "@serialport/stream";
import { createSimulatedTemperatureModule, type SerialBinding } from "@deckhand/capture";
import { ptyPairUnavailable, startPtyPair } from "@deckhand/crash-test";
import { client, spawnRobot, waitReady, withDataRoot } from "./robot_test_support.ts";

/** The device end of the pty pair: answers each line like a temperature module. */
async function temperatureModuleOn(path: string): Promise<SerialPortStream> {
  const { autoDetect } = await import("@serialport/bindings-cpp");
  const module = createSimulatedTemperatureModule({ seed: 5, ambientC: 37 });
  const port = new SerialPortStream({ binding: autoDetect() as SerialBinding, path, baudRate: 115200, autoOpen: false });
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
  port.on("error", (error) => console.error("serial_pty.test.ts: device end error", error));
  return port;
}

const skip = ptyPairUnavailable();
if (skip) console.log(`serial_pty.test.ts skipped: ${skip}`);

test("a real serial device on a socat pty pair is captured through @serialport/bindings-cpp (--serial-port)", { skip: skip ?? false, timeout: 180_000 }, async () => {
  await withDataRoot(async (dataRoot) => {
    const host = join(dataRoot, "ttyHost");
    const device = join(dataRoot, "ttyDevice");
    const socat = await startPtyPair(host, device);
    const port = await temperatureModuleOn(device);
    try {
      const robot = await spawnRobot(dataRoot, ["--serial-port", host, "--collectors", "bench-module,sim-module"]);
      try {
        await waitReady(robot);
        const call = client(robot);
        let rows: { name: string; source: string; captured: number }[] = [];
        for (;;) {
          rows = (await call("GET", "/capture/collectors")).body.data;
          if (rows.every((r) => r.captured >= 5)) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.deepEqual(rows.map((r) => [r.name, r.source]), [["bench-module", "serial"], ["sim-module", "simulated"]]);
        const events = await fetch(`${robot.url}/events`);
        const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        while (!/event: samples\ndata: \{"collector":"bench-module"/.test(text)) text += (await reader.read()).value ?? "";
        await reader.cancel();
        const sample = /event: samples\ndata: (\{"collector":"bench-module".*)\n/.exec(text)![1]!;
        const reading = (JSON.parse(sample) as { samples: { values: { currentC: number } }[] }).samples[0]!.values.currentC;
        assert.ok(Math.abs(reading - 37) < 1, `the reading (${reading}) comes from the device on the pty (ambient 37 C)`);
        assert.equal(await robot.stop(), 0);
      } finally {
        await robot.stop("SIGKILL");
      }
    } finally {
      await new Promise<void>((resolve) => port.close(() => resolve()));
      socat.kill("SIGTERM");
    }
  });
});
