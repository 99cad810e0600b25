/**
 * `httpTarget`: uploads to a Deckhand ingest server (`apps/ingest`) over HTTP.
 *
 * The protocol (all paths under the target URL, `Authorization: Bearer <token>` when a token is set):
 * - `HEAD /v1/uploads/<key>?size=<n>` answers `Upload-Offset: <bytes held>` (the resume offset).
 * - `PUT /v1/uploads/<key>` with `Upload-Offset` and `Upload-Length` (the whole file size) streams bytes
 *   `[offset, size)` followed by the 32-byte binary SHA-256 of the whole file (computed while sending, so each
 *   file is read once); the server hashes what it receives, checks both, and stores the object under its hash.
 *   `201 {"sha256","size"}`; `409` offset conflict; `422` hash mismatch; `400` refused input.
 * - `HEAD /v1/objects/<sha256>` answers `Object-Size` (or `404`): the confirmation before a local delete.
 * - `GET /v1/health` answers `200` (the probe).
 *
 * @module
 */
import { once } from "node:events";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import {
  HashMismatchError,
  InvalidOptionsError,
  TargetRejectedError,
  TargetUnavailableError,
  UploadConflictError,
} from "./errors.ts";
import { assertRange, assertSha256, assertUploadKey, type StoredObject, type UploadRequest, type UploadTarget } from "./upload_target.ts";

/** Options of {@link httpTarget}. */
export interface HttpTargetOptions {
  /** The ingest server's base URL, e.g. `http://workstation:8787`. */
  readonly url: string;
  /** The bearer token the server expects, if any. */
  readonly token?: string;
  /** A request that makes no progress (no byte sent or received) for this long is aborted as a stall. Default 30,000. */
  readonly idleTimeoutMs?: number;
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** An upload's answer as read off the socket: its status and (the first 64 KiB of) its body. */
interface PutAnswer {
  readonly status: number;
  readonly body: string;
}

/** Turns an HTTP error answer into the module's typed error. */
async function answerError(response: Response | PutAnswer, what: string): Promise<Error> {
  const text = response instanceof Response
    ? await response.text().catch((error: unknown) => `(body unreadable: ${String(error)})`)
    : response.body;
  let message = text.slice(0, 500);
  let code: string | undefined;
  try {
    const parsed = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof parsed.message === "string") message = parsed.message;
    if (typeof parsed.code === "string") code = parsed.code;
  } catch (parseError) {
    message = `${message} (not JSON: ${(parseError as Error).message})`;
  }
  const status = response.status;
  const full = `${what}: HTTP ${status}${code ? ` ${code}` : ""}: ${message}`;
  if (status === 409) return new UploadConflictError(full);
  if (status === 422 && code === "SYNC_HASH_MISMATCH") return new HashMismatchError(full);
  if (status >= 500 || status === 408 || status === 429) return new TargetUnavailableError(full, { unreachable: false, status });
  return new TargetRejectedError(full, { status });
}

/**
 * A target that uploads to an ingest server (`apps/ingest`, or anything speaking the protocol above). Bodies go
 * through `node:http`/`node:https` with backpressure; the small requests use `fetch`.
 * Network errors, timeouts and stalls are `TargetUnavailableError` (retried), other 4xx are `TargetRejectedError`.
 *
 * @example
 * ```ts
 * const target = httpTarget({ url: "http://192.168.1.20:8787", token: process.env.INGEST_TOKEN });
 * const engine = createSyncEngine({ captureDir: "/data/capture", target });
 * ```
 */
export function httpTarget(options: HttpTargetOptions): UploadTarget {
  let base: URL;
  try {
    base = new URL(options.url.endsWith("/") ? options.url : `${options.url}/`);
  } catch (error) {
    throw new InvalidOptionsError(`httpTarget url ${JSON.stringify(options.url)} is not a URL`, { cause: error });
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new InvalidOptionsError("httpTarget url must be http: or https:");
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  if (!Number.isFinite(idleTimeoutMs) || idleTimeoutMs <= 0) throw new InvalidOptionsError("idleTimeoutMs must be > 0");
  if (options.token !== undefined && (typeof options.token !== "string" || /[^\x21-\x7e]/.test(options.token))) {
    throw new InvalidOptionsError("httpTarget token must be printable ASCII without spaces");
  }
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};

  /** Runs `fetch` with an idle watchdog; `touch` resets it. Network failures become TargetUnavailableError. */
  async function call<R, T>(
    what: string,
    signal: AbortSignal,
    send: (signal: AbortSignal, touch: () => void) => Promise<R>,
    read: (response: R) => Promise<T>,
  ): Promise<T> {
    signal.throwIfAborted();
    const watchdog = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => watchdog.abort(new Error(`stalled: no progress for ${idleTimeoutMs} ms`)), idleTimeoutMs);
    };
    const onAbort = () => watchdog.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    touch();
    try {
      const response = await send(watchdog.signal, touch);
      touch();
      return await read(response);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof TargetRejectedError || error instanceof TargetUnavailableError) throw error;
      if (error instanceof UploadConflictError || error instanceof HashMismatchError) throw error;
      const reason = watchdog.signal.aborted ? (watchdog.signal.reason as Error).message : (error as Error).message;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const code = (error as { code?: unknown }).code ?? cause?.code;
      throw new TargetUnavailableError(`${what}: ${reason}${typeof code === "string" ? ` (${code})` : cause?.message ? ` (${cause.message})` : ""}`, {
        cause: error,
        unreachable: true,
      });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    }
  }

  async function put(request: UploadRequest): Promise<StoredObject> {
    assertUploadKey(request.key);
    assertRange(request.offset, request.size);
    const url = new URL(`v1/uploads/${request.key}`, base);
    let bodyError: unknown;
    // node:http rather than fetch for the body: Node 20's fetch holds on to a streamed request body (memory grew
    // with the file size in bench/sync); node:http writes with backpressure, so memory stays flat.
    const send = (signal: AbortSignal, touch: () => void) =>
      new Promise<PutAnswer>((resolve, reject) => {
        let answered = false;
        const req = (base.protocol === "https:" ? httpsRequest : httpRequest)(url, {
          method: "PUT",
          signal,
          headers: {
            ...auth,
            "content-type": "application/octet-stream",
            "content-length": String(request.size - request.offset + 32),
            "upload-offset": String(request.offset),
            "upload-length": String(request.size),
          },
        }, (res) => {
          answered = true;
          touch();
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on("data", (chunk: Buffer) => {
            touch();
            if (kept < 64 * 1024) {
              chunks.push(chunk);
              kept += chunk.byteLength;
            }
          });
          res.on("error", reject);
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status < 200 || status > 599) reject(new Error(`invalid HTTP status ${status}`));
            else resolve({ status, body: Buffer.concat(chunks).toString("utf8") });
          });
        });
        req.on("error", reject);
        void (async () => {
          for await (const chunk of request.body) {
            if (answered) break; // the server answered early (an error): stop reading the file
            touch();
            if (!req.write(chunk)) await once(req, "drain");
          }
          if (!answered) {
            req.write(hexToBytes(await request.sha256));
            req.end();
          }
        })().catch((error: unknown) => {
          if (answered) return; // the answer already settled the upload; a late write error changes nothing
          bodyError = error;
          req.destroy(error as Error);
          reject(error);
        });
      });
    return await call(
      `PUT ${url.pathname}`,
      request.signal,
      send,
      async (response) => {
        if (bodyError !== undefined) throw bodyError;
        if (response.status !== 201 && response.status !== 200) throw await answerError(response, `PUT ${url.pathname}`);
        let stored: { sha256?: unknown; size?: unknown };
        try {
          stored = JSON.parse(response.body) as { sha256?: unknown; size?: unknown };
        } catch (error) {
          throw new TargetUnavailableError(`PUT ${url.pathname}: the answer is not JSON: ${(error as Error).message}`, { unreachable: false });
        }
        if (typeof stored !== "object" || stored === null || typeof stored.sha256 !== "string" || typeof stored.size !== "number") {
          throw new TargetUnavailableError(`PUT ${url.pathname}: the answer has no sha256 and size`, { unreachable: false });
        }
        return { sha256: stored.sha256, size: stored.size };
      },
    ).catch((error: unknown) => {
      throw bodyError ?? error;
    });
  }

  return {
    description: `ingest ${base.origin}${base.pathname}`,
    async resumeOffset(key, size, signal) {
      assertUploadKey(key);
      assertRange(0, size);
      const url = new URL(`v1/uploads/${key}?size=${size}`, base);
      return await call(`HEAD ${url.pathname}`, signal, (s) => fetch(url, { method: "HEAD", headers: auth, signal: s }), async (response) => {
        if (response.status !== 200) throw await answerError(response, `HEAD ${url.pathname}`);
        const offset = Number(response.headers.get("upload-offset"));
        if (!Number.isSafeInteger(offset) || offset < 0) {
          throw new TargetUnavailableError(`HEAD ${url.pathname}: no valid Upload-Offset`, { unreachable: false });
        }
        return offset;
      });
    },
    put,
    async stat(sha256, signal) {
      assertSha256(sha256);
      const url = new URL(`v1/objects/${sha256}`, base);
      return await call(`HEAD ${url.pathname}`, signal, (s) => fetch(url, { method: "HEAD", headers: auth, signal: s }), async (response) => {
        if (response.status === 404) return undefined;
        if (response.status !== 200) throw await answerError(response, `HEAD ${url.pathname}`);
        const size = Number(response.headers.get("object-size"));
        if (!Number.isSafeInteger(size) || size < 0) {
          throw new TargetUnavailableError(`HEAD ${url.pathname}: no valid Object-Size`, { unreachable: false });
        }
        return { sha256, size };
      });
    },
    async probe(signal) {
      const url = new URL("v1/health", base);
      await call(`GET ${url.pathname}`, signal, (s) => fetch(url, { headers: auth, signal: s }), async (response) => {
        if (response.status !== 200) throw await answerError(response, `GET ${url.pathname}`);
        await response.body?.cancel();
      });
    },
  };
}
