/**
 * A typed comlink `Endpoint` over a `worker_threads` port (a `Worker` or `parentPort`). comlink's own node adapter
 * ships without types under NodeNext; this is the few lines it does, typed.
 */
import type { Endpoint } from "comlink";

/** The part of `Worker` / `MessagePort` the endpoint needs. */
export interface NodePort {
  postMessage(message: unknown, transfer?: readonly never[]): void;
  on(event: "message", listener: (value: unknown) => void): unknown;
  off(event: "message", listener: (value: unknown) => void): unknown;
  start?(): void;
}

type Listener = Parameters<Endpoint["addEventListener"]>[1];

/** Adapts a `worker_threads` port to comlink's `Endpoint` (messages arrive as `{ data }` events). */
export function nodeEndpoint(port: NodePort): Endpoint {
  const wrapped = new Map<Listener, (value: unknown) => void>();
  return {
    postMessage(message: unknown, transfer?: unknown[]) {
      port.postMessage(message, transfer as never[] | undefined);
    },
    addEventListener(_type: string, listener: Listener) {
      const onMessage = (data: unknown) => {
        const event = { data } as Parameters<Extract<Listener, (...args: never[]) => unknown>>[0];
        if (typeof listener === "function") listener(event);
        else listener.handleEvent(event);
      };
      wrapped.set(listener, onMessage);
      port.on("message", onMessage);
    },
    removeEventListener(_type: string, listener: Listener) {
      const onMessage = wrapped.get(listener);
      if (!onMessage) return;
      port.off("message", onMessage);
      wrapped.delete(listener);
    },
    ...(port.start ? { start: () => port.start!() } : {}),
  };
}
