// @serialport/binding-mock 10.2.2 ships types, but its package.json "exports" does not point at them, so
// NodeNext resolution cannot find them. This declares the part the simulated serial device uses.
declare module "@serialport/binding-mock" {
  import type { OpenOptions } from "@serialport/stream";
  type Binding = OpenOptions["binding"];
  type PortBinding = Awaited<ReturnType<Binding["open"]>>;
  export interface MockPortBinding extends PortBinding {
    emitData(data: Buffer | string): void;
  }
  export const MockBinding: Omit<Binding, "open"> & {
    open(options: Parameters<Binding["open"]>[0]): Promise<MockPortBinding>;
    createPort(path: string, options?: { echo?: boolean; record?: boolean; readyData?: Buffer; maxReadSize?: number }): void;
    reset(): void;
  };
}
