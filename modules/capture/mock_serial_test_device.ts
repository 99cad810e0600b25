/**
 * Test support (not published): a serial device on `@serialport/binding-mock` that answers each written line
 * with `respond(line)`, and can be unplugged and replugged. MockBinding has no unplug of its own: unplugging
 * here fails the port's pending read with an I/O error (as the kernel does when a USB device goes away, so
 * `@serialport/stream` reports a disconnect) and makes `open` fail until `replug()`.
 */
import { MockBinding } from "@serialport/binding-mock";
import type { SerialBinding } from "./serial_source.ts";

type MockPort = Awaited<ReturnType<typeof MockBinding.open>>;

/** A mock serial device for tests. */
export interface MockSerialDevice {
  readonly binding: SerialBinding;
  /** Lines written to the device by the source. */
  readonly received: string[];
  /** Sends `data` from the device unprompted (a streaming device), on the port currently open. */
  emit(data: string): void;
  unplug(): void;
  replug(): void;
}

/** Creates the mock port `path` and a binding that answers through `respond`. */
export function createMockSerialDevice(path: string, respond: (line: string) => string | undefined): MockSerialDevice {
  MockBinding.createPort(path, {});
  let plugged = true;
  const received: string[] = [];
  const unplugHooks = new Set<(error: Error) => void>();
  let current: MockPort | undefined;

  function wrap(inner: MockPort): MockPort {
    let partial = "";
    const unplugged = new Promise<never>((_, reject) => {
      unplugHooks.add(reject);
    });
    unplugged.catch(() => undefined);
    return new Proxy(inner, {
      get(target, property, receiver) {
        if (property === "read") {
          return (buffer: Buffer, offset: number, length: number) =>
            Promise.race([target.read(buffer, offset, length), unplugged]);
        }
        if (property === "write") {
          return async (buffer: Buffer) => {
            if (!plugged) throw new Error("EIO: device unplugged");
            await target.write(buffer);
            partial += buffer.toString("latin1");
            let newline: number;
            while ((newline = partial.indexOf("\n")) >= 0) {
              const line = partial.slice(0, newline).replace(/\r$/, "");
              partial = partial.slice(newline + 1);
              received.push(line);
              const answer = respond(line);
              if (answer !== undefined && target.isOpen) target.emitData(answer);
            }
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  const binding: SerialBinding = {
    list: () => MockBinding.list(),
    async open(options) {
      if (!plugged) throw new Error(`ENOENT: no such file or directory, cannot open ${options.path}`);
      current = await MockBinding.open(options);
      return wrap(current);
    },
  };
  return {
    binding,
    received,
    emit(data: string) {
      if (!current?.isOpen) throw new Error("the mock device has no open port to emit on");
      current.emitData(data);
    },
    unplug() {
      plugged = false;
      for (const hook of unplugHooks) hook(new Error("EIO: i/o error, device unplugged"));
      unplugHooks.clear();
    },
    replug() {
      plugged = true;
    },
  };
}
