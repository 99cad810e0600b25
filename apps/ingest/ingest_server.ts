/**
 * The ingest server: the HTTP end of `httpTarget` (protocol in `@deckhand/sync`'s `http_target.ts`), so a robot
 * can sync to a workstation out of the box. Hono on `@hono/node-server`; request bodies stream straight into the
 * store (a content-addressed `directoryTarget`, or any `UploadTarget` such as `s3Target`), never buffered whole.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve, type HttpBindings } from "@hono/node-server";
import { Hono, type Context } from "hono";
import {
  assertSha256,
  assertUploadKey,
  directoryTarget,
  HashMismatchError,
  InvalidNameError,
  TargetRejectedError,
  TargetUnavailableError,
  UploadConflictError,
  type UploadTarget,
} from "@deckhand/sync";

/** Options of {@link startIngestServer}. */
export interface IngestServerOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 8787. */
  readonly port?: number;
  /** The directory objects are stored into (content-addressed, `objects/<sha256>`). Ignored when `store` is given. */
  readonly dir?: string;
  /** Store into this target instead of `dir` (for example an `s3Target`). */
  readonly store?: UploadTarget;
  /** When set, every `/v1` request needs `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Largest accepted object in bytes. Default 1 TiB. */
  readonly maxObjectBytes?: number;
  /** A connection that sends or receives nothing for this long is closed (a stalled upload stays resumable). Default 30,000. */
  readonly idleTimeoutMs?: number;
  /** Called after each request, for logs and tests (uploads report the file bytes they stored). */
  readonly onRequest?: (info: IngestRequestInfo) => void;
}

/** What {@link IngestServerOptions.onRequest} receives. */
export interface IngestRequestInfo {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** For uploads: the key, the offset it started at, and the file bytes received and stored by this request. */
  readonly upload?: { readonly key: string; readonly offset: number; readonly receivedBytes: number };
}

/** A running ingest server. */
export interface IngestServer {
  /** The base URL, e.g. `http://127.0.0.1:8787` (the real port when started with port 0). */
  readonly url: string;
  /** Stops accepting connections, ends open ones and resolves once the server is closed. */
  close(): Promise<void>;
}

const DIGITS = /^(0|[1-9][0-9]{0,15})$/;

function httpStatus(error: unknown): number {
  if (error instanceof InvalidNameError) return 400;
  if (error instanceof UploadConflictError) return 409;
  if (error instanceof HashMismatchError) return 422;
  if (error instanceof TargetRejectedError) return 502;
  if (error instanceof TargetUnavailableError) return 503;
  if ((error as NodeJS.ErrnoException | undefined)?.code === "ENOSPC") return 507;
  return 500;
}

function errorBody(error: unknown): { code: string; message: string } {
  const code = (error as { code?: unknown } | undefined)?.code;
  return { code: typeof code === "string" ? code : "INGEST_ERROR", message: error instanceof Error ? error.message : String(error) };
}

function tokenMatches(expected: string, header: string | undefined): boolean {
  if (!header?.startsWith("Bearer ")) return false;
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(header.slice("Bearer ".length)).digest();
  return timingSafeEqual(a, b);
}

/** Splits an upload body into the file bytes (passed on to the store) and the 32-byte SHA-256 that trails them. */
function splitBody(
  source: AsyncIterable<Uint8Array>,
  fileBytes: number,
  stored: (bytes: number) => void,
): { body: AsyncIterable<Uint8Array>; sha256: Promise<string> } {
  let resolveHash!: (hex: string) => void;
  const sha256 = new Promise<string>((resolve) => (resolveHash = resolve));
  async function* body(): AsyncGenerator<Uint8Array> {
    let remaining = fileBytes;
    const tail: Uint8Array[] = [];
    let tailBytes = 0;
    for await (const data of source) {
      let chunk = data;
      if (remaining > 0) {
        const take = Math.min(remaining, chunk.byteLength);
        yield chunk.subarray(0, take);
        // The store asked for more, so it has taken the chunk (a directory store writes it before put() settles).
        stored(take);
        remaining -= take;
        chunk = chunk.subarray(take);
      }
      if (chunk.byteLength > 0) {
        tailBytes += chunk.byteLength;
        if (tailBytes > 32) throw new InvalidNameError("the body is longer than Upload-Length plus the 32-byte SHA-256");
        tail.push(chunk);
      }
    }
    if (remaining > 0 || tailBytes !== 32) {
      throw new UploadConflictError(`the body ended early (${fileBytes - remaining} of ${fileBytes} bytes, ${tailBytes} of 32 hash bytes)`);
    }
    resolveHash(Buffer.concat(tail).toString("hex"));
  }
  return { body: body(), sha256 };
}

/**
 * Starts the ingest server.
 *
 * @example
 * ```ts
 * const server = await startIngestServer({ host: "0.0.0.0", port: 8787, dir: "/srv/deckhand", token: "s3cret" });
 * console.log(`robots can sync to ${server.url}`);
 * ```
 */
export async function startIngestServer(options: IngestServerOptions): Promise<IngestServer> {
  const store = options.store ?? (options.dir ? directoryTarget(options.dir) : undefined);
  if (!store) throw new InvalidNameError("startIngestServer needs a dir or a store");
  const maxObjectBytes = options.maxObjectBytes ?? 2 ** 40;
  const token = options.token;
  const app = new Hono<{ Bindings: HttpBindings }>();
  const report = (c: Context, status: number, upload?: IngestRequestInfo["upload"]) => {
    options.onRequest?.({ method: c.req.method, path: c.req.path, status, ...(upload ? { upload } : {}) });
  };
  const fail = (c: Context, error: unknown, upload?: IngestRequestInfo["upload"]) => {
    const status = httpStatus(error);
    report(c, status, upload);
    return c.json(errorBody(error), status as 400);
  };

  app.use("/v1/*", async (c, next) => {
    if (token !== undefined && !tokenMatches(token, c.req.header("authorization"))) {
      report(c, 401);
      return c.json({ code: "INGEST_UNAUTHORIZED", message: "send Authorization: Bearer <token>" }, 401);
    }
    await next();
  });

  app.get("/v1/health", (c) => {
    report(c, 200);
    return c.json({ ok: true });
  });

  // Hono answers HEAD through the GET route (and drops the body).
  app.get("/v1/uploads/:key", async (c) => {
    try {
      const key = c.req.param("key");
      assertUploadKey(key);
      const size = c.req.query("size") ?? "";
      if (!DIGITS.test(size) || Number(size) > maxObjectBytes) throw new InvalidNameError("size must be a byte count");
      const offset = await store.resumeOffset(key, Number(size), c.req.raw.signal);
      report(c, 200);
      return c.json({ offset }, 200, { "upload-offset": String(offset) });
    } catch (error) {
      return fail(c, error);
    }
  });

  app.put("/v1/uploads/:key", async (c) => {
    const key = c.req.param("key");
    const offsetHeader = c.req.header("upload-offset") ?? "";
    const lengthHeader = c.req.header("upload-length") ?? "";
    let receivedBytes = 0;
    const upload = () => ({ key, offset: Number(offsetHeader), receivedBytes });
    try {
      assertUploadKey(key);
      if (!DIGITS.test(offsetHeader) || !DIGITS.test(lengthHeader)) {
        throw new InvalidNameError("Upload-Offset and Upload-Length must be byte counts");
      }
      const size = Number(lengthHeader);
      const offset = Number(offsetHeader);
      if (size > maxObjectBytes) {
        report(c, 413);
        return c.json({ code: "INGEST_TOO_LARGE", message: `objects are limited to ${maxObjectBytes} bytes` }, 413);
      }
      if (offset > size) throw new InvalidNameError("Upload-Offset is past Upload-Length");
      const incoming = c.env.incoming;
      const controller = new AbortController();
      incoming.once("close", () => {
        if (!incoming.complete) controller.abort(new UploadConflictError("the client went away"));
      });
      const { body, sha256 } = splitBody(incoming, size - offset, (n) => (receivedBytes += n));
      const stored = await store.put({ key, size, offset, body, sha256, signal: controller.signal });
      report(c, 201, upload());
      return c.json(stored, 201);
    } catch (error) {
      return fail(c, error, upload());
    }
  });

  app.get("/v1/objects/:sha256", async (c) => {
    try {
      const sha256 = c.req.param("sha256");
      assertSha256(sha256);
      const stored = await store.stat(sha256, c.req.raw.signal);
      const status = stored ? 200 : 404;
      report(c, status);
      return c.json(stored ?? { code: "INGEST_NOT_FOUND", message: "no such object" }, status, stored ? { "object-size": String(stored.size) } : {});
    } catch (error) {
      return fail(c, error);
    }
  });

  app.notFound((c) => {
    report(c, 404);
    return c.json({ code: "INGEST_NOT_FOUND", message: "no such route" }, 404);
  });

  const { server, url } = await new Promise<{ server: ReturnType<typeof serve>; url: string }>((resolve, reject) => {
    const host = options.host ?? "127.0.0.1";
    const started = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 8787 }, (info: AddressInfo) => {
      const shown = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({ server: started, url: `http://${shown}:${info.port}` });
    });
    started.once("error", reject);
  });
  // A stalled client must not hold its upload key forever: idle sockets are destroyed, which aborts the upload.
  (server as import("node:http").Server).setTimeout(options.idleTimeoutMs ?? 30_000);
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        (server as import("node:http").Server).closeAllConnections?.();
      }),
  };
}
