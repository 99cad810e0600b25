/**
 * A raw-wire HTTP/1.1 client: it writes exactly the bytes it is given (invalid UTF-8 in the request target, lying
 * Content-Length headers, bodies trickled a few bytes at a time) and reports what came back, so the hostile-input
 * phase can send what `fetch` and `node:http` refuse to build.
 *
 * @example
 * ```ts
 * const answer = await sendRawRequest("http://127.0.0.1:8080", {
 *   method: "GET", target: new Uint8Array([0x2f, 0x72, 0x75, 0x6e, 0x73, 0x2f, 0xed, 0xa0, 0x80]), headers: [],
 * }, { timeoutMs: 5000 });
 * console.log(answer.outcome, answer.status);
 * ```
 */
import { connect } from "node:net";

/** One request as bytes on the wire. `Host`, `Content-Length` (unless given) and `Connection: close` are added. */
export interface RawRequest {
  readonly method: string;
  /** The request target (path and query) as sent: a string is written as UTF-8, bytes as they are. */
  readonly target: string | Uint8Array;
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: Uint8Array;
}

/** How to send it. */
export interface RawSendOptions {
  /** Give up (outcome `timeout`) when nothing complete came back by then. */
  readonly timeoutMs: number;
  /** Trickle the request: `chunkBytes` every `intervalMs` (a slow-loris client). */
  readonly slow?: { readonly chunkBytes: number; readonly intervalMs: number };
  /** Never send the last `n` bytes of the encoded request (a request that never completes), then wait. */
  readonly withholdLastBytes?: number;
  /**
   * Send the head, wait this long for an early answer (a 413 decided on `Content-Length`), and only then the body:
   * a server that answers early and closes would otherwise reset the connection under a large body still being
   * written, and the client would lose the answer.
   */
  readonly headFirstMs?: number;
}

/**
 * What came back: `answered` (a status line was read), `closed` (the server closed the connection without a
 * status line), `reset` (connection error), `timeout` (the client gave up).
 */
export interface RawAnswer {
  readonly outcome: "answered" | "closed" | "reset" | "timeout";
  readonly status: number | null;
  /** The response body as received (chunked framing left as is), at most 64 KiB. */
  readonly body: string;
  readonly ms: number;
}

const encoder = new TextEncoder();

/** Encodes a request to the exact bytes {@link sendRawRequest} writes. */
export function encodeRawRequest(request: RawRequest, host: string): Uint8Array {
  const target = typeof request.target === "string" ? encoder.encode(request.target) : request.target;
  const body = request.body ?? new Uint8Array(0);
  const names = new Set(request.headers.map(([name]) => name.toLowerCase()));
  const lines = [`Host: ${host}`, "Connection: close"];
  if (!names.has("content-length") && (body.length > 0 || !["GET", "HEAD", "DELETE"].includes(request.method))) {
    lines.push(`Content-Length: ${body.length}`);
  }
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  const head = encoder.encode(`${request.method} `);
  const rest = encoder.encode(` HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`);
  const out = new Uint8Array(head.length + target.length + rest.length + body.length);
  out.set(head, 0);
  out.set(target, head.length);
  out.set(rest, head.length + target.length);
  out.set(body, head.length + target.length + rest.length);
  return out;
}

/** Sends one raw request to `baseUrl` (`http://127.0.0.1:PORT`) over a fresh connection and reads the answer. */
export function sendRawRequest(baseUrl: string, request: RawRequest, options: RawSendOptions): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  const bytes = encodeRawRequest(request, url.host);
  const toSend = bytes.subarray(0, bytes.length - (options.withholdLastBytes ?? 0));
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const received: Buffer[] = [];
    let receivedBytes = 0;
    let settled = false;
    let trickle: ReturnType<typeof setInterval> | undefined;
    const finish = (outcome: RawAnswer["outcome"]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (trickle) {
        clearInterval(trickle);
        clearTimeout(trickle);
      }
      socket.destroy();
      const text = Buffer.concat(received).toString("latin1");
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const status = match ? Number(match[1]) : null;
      const bodyAt = text.indexOf("\r\n\r\n");
      resolve({
        outcome: status !== null ? "answered" : outcome,
        status,
        body: bodyAt >= 0 ? Buffer.from(text.slice(bodyAt + 4), "latin1").toString("utf8").slice(0, 65536) : "",
        ms: performance.now() - started,
      });
    };
    const timer = setTimeout(() => finish("timeout"), options.timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      if (receivedBytes < 1 << 20) received.push(chunk);
      receivedBytes += chunk.length;
    });
    socket.on("end", () => finish("closed"));
    socket.on("close", () => finish("closed"));
    socket.on("error", () => finish(received.length > 0 ? "closed" : "reset"));
    socket.on("connect", () => {
      if (!options.slow && options.headFirstMs !== undefined) {
        const headEnd = Buffer.from(toSend.buffer, toSend.byteOffset, toSend.length).indexOf("\r\n\r\n") + 4;
        socket.write(toSend.subarray(0, headEnd));
        trickle = setTimeout(() => {
          if (!socket.destroyed && received.length === 0) socket.write(toSend.subarray(headEnd));
        }, options.headFirstMs) as unknown as ReturnType<typeof setInterval>;
        return;
      }
      if (!options.slow) {
        socket.write(toSend);
        return;
      }
      const { chunkBytes, intervalMs } = options.slow;
      let offset = 0;
      trickle = setInterval(() => {
        if (socket.destroyed || offset >= toSend.length) {
          clearInterval(trickle);
          return;
        }
        socket.write(toSend.subarray(offset, offset + chunkBytes));
        offset += chunkBytes;
      }, intervalMs);
    });
  });
}
