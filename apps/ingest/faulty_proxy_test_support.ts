// Test support: a loopback TCP proxy in front of a server that injects faults per connection: HTTP 500 answers,
// dropped connections, stalls (bytes stop flowing, the connection stays open), and cuts after a random number
// of forwarded bytes (so large uploads break midway). Seeded, so a failing run can be replayed.
import { createServer, connect, type Socket } from "node:net";

/** The kinds of connection the proxy makes. */
export type FaultMode = "ok" | "500" | "drop" | "stall" | "cut";

/** A running proxy. */
export interface FaultyProxy {
  readonly url: string;
  /** How many connections got each mode. */
  readonly modes: Record<FaultMode, number>;
  close(): Promise<void>;
}

/** A small deterministic PRNG (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Starts the proxy on 127.0.0.1 port 0 in front of `upstreamPort`. */
export async function startFaultyProxy(upstreamPort: number, random: () => number): Promise<FaultyProxy> {
  const modes: Record<FaultMode, number> = { ok: 0, "500": 0, drop: 0, stall: 0, cut: 0 };
  const sockets = new Set<Socket>();
  const pick = (): FaultMode => {
    const r = random();
    return r < 0.4 ? "ok" : r < 0.65 ? "cut" : r < 0.8 ? "500" : r < 0.9 ? "drop" : "stall";
  };
  const server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    const mode = pick();
    modes[mode]++;
    if (mode === "drop") {
      client.destroy();
      return;
    }
    if (mode === "500") {
      client.once("data", () => client.end("HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"));
      return;
    }
    const upstream = connect(upstreamPort, "127.0.0.1");
    sockets.add(upstream);
    upstream.on("close", () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    let stalled = false;
    let budget = mode === "ok" ? Infinity : mode === "stall" ? Math.floor(random() * (1 << 20)) : (256 << 10) + Math.floor(random() * (6 << 20));
    client.on("data", (chunk: Buffer) => {
      if (stalled) return; // stall: bytes stop flowing, both connections stay open and silent
      if (budget === Infinity) {
        upstream.write(chunk);
        return;
      }
      const take = Math.min(budget, chunk.byteLength);
      budget -= take;
      if (take > 0) upstream.write(chunk.subarray(0, take));
      if (budget > 0) return;
      if (mode === "cut") {
        client.destroy();
        upstream.destroy();
      } else {
        stalled = true;
      }
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    modes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
