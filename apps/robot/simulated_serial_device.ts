/**
 * The embedded default hardware: a simulated temperature module behind a mock serial port
 * (`@serialport/binding-mock`), so the robot app reads it through `createSerialSource` exactly as it reads a
 * real device through `@serialport/bindings-cpp`: same polling, parsing, timeouts and reconnects.
 *
 * @module
 */
import { MockBinding } from "@serialport/binding-mock";
import { createSimulatedTemperatureModule, type SerialBinding } from "@deckhand/capture";

type MockPort = Awaited<ReturnType<typeof MockBinding.open>>;

/**
 * Creates the mock port `path` with a simulated temperature module answering each line written to it, and
 * returns the binding that opens it.
 *
 * @example
 * ```ts
 * const binding = simulatedTemperatureBinding("/dev/deckhand-sim/temp-module", 1);
 * const source = createSerialSource({ path: "/dev/deckhand-sim/temp-module", baudRate: 115200, binding, request: "M105\n", parse: parseTemperatureResponse });
 * ```
 */
export function simulatedTemperatureBinding(path: string, seed: number): SerialBinding {
  const module = createSimulatedTemperatureModule({ seed });
  MockBinding.createPort(path, { echo: false, record: false });
  const wrap = (inner: MockPort): MockPort => {
    let partial = "";
    return new Proxy(inner, {
      get(target, property, receiver) {
        if (property === "write") {
          return async (buffer: Buffer) => {
            await target.write(buffer);
            partial += buffer.toString("latin1");
            let newline: number;
            while ((newline = partial.indexOf("\n")) >= 0) {
              const line = partial.slice(0, newline).replace(/\r$/, "");
              partial = partial.slice(newline + 1);
              if (target.isOpen) target.emitData(module.respond(line));
            }
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  return {
    list: () => MockBinding.list(),
    async open(options) {
      return wrap(await MockBinding.open(options));
    },
  };
}
