/**
 * A loopback HTTP fault proxy: it sits between a client (the sync service) and an upstream (the ingest server) and,
 * request by request on a seeded schedule, passes the request through or injects a network fault: drop the
 * connection, stall it, cut the request body midway, lose the response after the upstream handled the request, or
 * answer 500 itself. Used by the campaign's flaky-network phase.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy({ target: ingest.url, seed: 7, weights: { drop: 0.1, error500: 0.1 } });
 * // point the uploader at proxy.url; later:
 * console.log(proxy.stats().byFault);
 * await proxy.close();
 * ```
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createSeededRandom } from "./seeded_random.ts";

/** What the proxy does to one request. */
export type FaultKind = "pass" | "drop" | "stall" | "cut-request" | "cut-response" | "error-500";

/** Every fault kind, in report order. */
export const faultKinds: readonly FaultKind[] = ["pass", "drop", "stall", "cut-request", "cut-response", "error-500"];

/** Probabilities of each injected fault per request (the remainder passes); their sum must be at most 1. */
export interface FaultWeights {
  readonly drop?: number;
  readonly stall?: number;
  readonly cutRequest?: number;
  readonly cutResponse?: number;
  readonly error500?: number;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** The upstream base URL, `http://127.0.0.1:PORT`. */
  readonly target: string;
  /** The seed of the schedule: the n-th request gets the same fault on every run with the same seed. */
  readonly seed: number;
  /** Fault probabilities (default: none, everything passes). */
  readonly weights?: FaultWeights;
  /** Faults for the first requests, in order, before the weighted schedule takes over (for exact tests). */
  readonly sequence?: readonly FaultKind[];
  /** How long a stalled request is held before its connection is dropped (default 2000 ms). */
  readonly stallMs?: number;
  /** Port to listen on, 127.0.0.1 (default 0: any free port). */
  readonly port?: number;
}

/** Counters of what the proxy did. */
export interface FaultProxyStats {
  /** Requests received. */
  readonly requests: number;
  /** Requests per fault kind (including `pass`). */
  readonly byFault: Readonly<Record<FaultKind, number>>;
  /** Request body bytes forwarded upstream. */
  readonly bytesForwarded: number;
  /** Upstream connection errors answered with 502. */
  readonly upstreamErrors: number;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** Its base URL, `http://127.0.0.1:PORT`. */
  readonly url: string;
  stats(): FaultProxyStats;
  /** Changes the fault probabilities from the next request on (`{}` turns faults off). */
  setWeights(weights: FaultWeights): void;
  /** Stops listening and destroys every open connection (stalled ones included). */
  close(): Promise<void>;
}

function validateWeights(weights: FaultWeights): void {
  const values = [weights.drop, weights.stall, weights.cutRequest, weights.cutResponse, weights.error500].map((v) => v ?? 0);
  for (const v of values) if (!(v >= 0 && v <= 1)) throw new RangeError(`fault weight ${v} is not in [0, 1]`);
  if (values.reduce((a, b) => a + b, 0) > 1 + 1e-9) throw new RangeError("fault weights sum to more than 1");
}

/** Starts a fault proxy on 127.0.0.1 in front of `target`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== "http:") throw new RangeError(`fault proxy target must be http:, got ${target.protocol}`);
  let weights: FaultWeights = options.weights ?? {};
  validateWeights(weights);
  const stallMs = options.stallMs ?? 2000;
  const random = createSeededRandom(options.seed);
  const sequence = [...(options.sequence ?? [])];
  const byFault: Record<FaultKind, number> = { pass: 0, drop: 0, stall: 0, "cut-request": 0, "cut-response": 0, "error-500": 0 };
  let requests = 0;
  let bytesForwarded = 0;
  let upstreamErrors = 0;
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const choose = (): FaultKind => {
    const draw = random.next();
    const fromSequence = sequence.shift();
    if (fromSequence !== undefined) return fromSequence;
    let acc = 0;
    const table: [FaultKind, number | undefined][] = [
      ["drop", weights.drop], ["stall", weights.stall], ["cut-request", weights.cutRequest],
      ["cut-response", weights.cutResponse], ["error-500", weights.error500],
    ];
    for (const [kind, w] of table) {
      acc += w ?? 0;
      if (draw < acc) return kind;
    }
    return "pass";
  };

  const forward = (req: IncomingMessage, res: ServerResponse, fault: "pass" | "cut-request" | "cut-response"): void => {
    const declared = Number(req.headers["content-length"] ?? NaN);
    // Cut somewhere strictly inside the body: at least one byte through, at least one byte missing.
    const cutAt = fault === "cut-request" ? (Number.isFinite(declared) && declared > 1 ? random.int(1, declared - 1) : 1) : Infinity;
    const upstream = httpRequest({
      host: target.hostname, port: target.port, method: req.method, path: req.url,
      headers: { ...req.headers, host: target.host }, agent: false,
    });
    let sent = 0;
    let cut = false;
    upstream.on("error", () => {
      if (cut || res.headersSent || req.socket.destroyed) return;
      upstreamErrors++;
      res.writeHead(502, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ errors: [{ title: "fault proxy: upstream unreachable" }] }));
    });
    upstream.on("response", (answer) => {
      if (fault === "cut-response") {
        answer.resume();
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.on("data", (chunk: Buffer) => {
      if (cut) return;
      if (sent + chunk.length >= cutAt) {
        const part = chunk.subarray(0, cutAt - sent);
        sent += part.length;
        bytesForwarded += part.length;
        cut = true;
        upstream.write(part, () => {
          upstream.destroy();
          req.socket.destroy();
        });
        return;
      }
      sent += chunk.length;
      bytesForwarded += chunk.length;
      if (!upstream.write(chunk)) {
        req.pause();
        upstream.once("drain", () => req.resume());
      }
    });
    req.on("end", () => {
      if (cut) return;
      if (fault === "cut-request") {
        // The body ended before the cut point (no or a false content-length): cut at the end instead.
        cut = true;
        upstream.destroy();
        req.socket.destroy();
        return;
      }
      upstream.end();
    });
    req.on("aborted", () => upstream.destroy());
  };

  const server = createServer((req, res) => {
    requests++;
    const fault = choose();
    byFault[fault]++;
    switch (fault) {
      case "drop":
        req.socket.destroy();
        return;
      case "stall": {
        const timer = setTimeout(() => {
          timers.delete(timer);
          req.socket.destroy();
        }, stallMs);
        timers.add(timer);
        return;
      }
      case "error-500":
        req.resume();
        req.on("end", () => {
          res.writeHead(500, { "content-type": "application/json", connection: "close" });
          res.end(JSON.stringify({ errors: [{ title: "fault proxy: injected 500" }] }));
        });
        return;
      default:
        forward(req, res, fault);
    }
  });
  server.on("clientError", (_error, socket: Socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ requests, byFault: { ...byFault }, bytesForwarded, upstreamErrors }),
    setWeights(next) {
      validateWeights(next);
      weights = next;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
