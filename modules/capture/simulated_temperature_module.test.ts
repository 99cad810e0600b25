import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimulatedTemperatureModule, parseTemperatureResponse } from "./simulated_temperature_module.ts";
import { InvalidOptionsError } from "./errors.ts";

test("the same seed gives the same readings and another seed different ones", async () => {
  const signal = new AbortController().signal;
  const readings = async (seed: number) => {
    const module = createSimulatedTemperatureModule({ seed });
    const out = [];
    for (let i = 0; i < 20; i++) out.push((await module.read(signal)).currentC);
    return out;
  };
  assert.deepEqual(await readings(42), await readings(42));
  assert.notDeepEqual(await readings(42), await readings(43));
});

test("M105 answers T:<target> C:<current> then ok, and M104 drives the temperature toward its target", () => {
  const module = createSimulatedTemperatureModule({ seed: 3, ambientC: 23, noiseC: 0.05 });
  const first = module.respond("M105");
  assert.match(first, /^T:none C:2[23]\.\d{3}\r\nok\r\n$/);
  assert.equal(module.respond("M104 S4"), "ok\r\n");
  let last = parseTemperatureResponse(first.split("\r\n")[0]!)!;
  for (let i = 0; i < 60; i++) last = parseTemperatureResponse(module.respond("M105").split("\r\n")[0]!)!;
  assert.equal(last.targetC, 4);
  assert.ok(Math.abs(last.currentC - 4) < 0.5, `reached ${last.currentC}`);
  assert.equal(module.respond("M18"), "ok\r\n");
  assert.match(module.respond("G28"), /^ERR003/);
});

test("parseTemperatureResponse reads readings and skips acknowledgement lines", () => {
  assert.deepEqual(parseTemperatureResponse("T:4.000 C:22.871"), { currentC: 22.871, targetC: 4 });
  assert.deepEqual(parseTemperatureResponse("T:none C:-1.5 ok"), { currentC: -1.5, targetC: null });
  assert.equal(parseTemperatureResponse("ok"), undefined);
});

test("nonsense simulation options are refused with InvalidOptionsError", () => {
  for (const bad of [{ noiseC: -1 }, { approachPerPoll: 0 }, { approachPerPoll: 2 }, { ambientC: Number.NaN }]) {
    assert.throws(() => createSimulatedTemperatureModule(bad), InvalidOptionsError, JSON.stringify(bad));
  }
});
