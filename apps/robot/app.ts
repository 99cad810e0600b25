/**
 * `createRobotApp`: the robot's Hono app. Middleware, in order: request metrics, the bearer token on mutating
 * routes (constant-time compare), the body size limit (413 with `Connection: close`), the JSON body guard;
 * then the routes; unknown routes answer the 404 envelope and every error the error envelope (`http_errors.ts`).
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { routePath } from "hono/route";
import { BodyTooLargeError, InvalidRequestError, RouteNotFoundError, UnauthorizedError } from "./errors.ts";
import { errorBody, errorResponse } from "./http_errors.ts";
import { checkRequestTarget } from "./utf8_request.ts";
import type { RobotMetrics } from "./metrics.ts";
import { jsonBodyGuard } from "./request_validation.ts";
import type { RobotState } from "./robot_state.ts";
import { mountCaptureRoutes } from "./routes_capture.ts";
import { mountProtocolRoutes } from "./routes_protocols.ts";
import { mountReportRoutes } from "./routes_reports.ts";
import { mountRunRoutes } from "./routes_runs.ts";
import { mountSystemRoutes } from "./routes_system.ts";
import { createStatusSource, type StatusSource } from "./status_source.ts";

/** Options of `createRobotApp`. */
export interface RobotAppOptions {
  readonly state: RobotState;
  readonly metrics: RobotMetrics;
  /** When set, POST/PUT/PATCH/DELETE need `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  /** Largest request body in bytes. */
  readonly maxBodyBytes: number;
  /** Mounts the status page (`mountStatusPage` of `status_page.tsx`) on the app. */
  readonly mountPages?: (app: Hono, source: StatusSource) => void;
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * Builds the robot's Hono app over its live state.
 *
 * @example
 * ```ts
 * const app = createRobotApp({ state, metrics, token: "s3cret", maxBodyBytes: 32 << 20 });
 * serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
 * ```
 */
export function createRobotApp(options: RobotAppOptions): Hono {
  const { state, metrics } = options;
  const app = new Hono();
  const expected = options.token === undefined ? undefined : digest(options.token);

  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    let route = "unmatched";
    try {
      route = c.res.status === 404 && c.error === undefined && routePath(c, -1) === "*" ? "unmatched" : routePath(c, -1);
    } catch (error) {
      route = `unmatched:${(error as Error).name}`;
    }
    metrics.observeRequest(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
  });

  app.use("*", async (c, next) => {
    if (expected !== undefined && MUTATING.has(c.req.method)) {
      const header = c.req.header("authorization") ?? "";
      const match = /^Bearer (.+)$/i.exec(header);
      const ok = match !== null && timingSafeEqual(digest(match[1]!), expected);
      if (!ok) {
        const { status, body } = errorBody(new UnauthorizedError("this route needs Authorization: Bearer <token> (the robot's --token)"));
        return c.json(body, status, { "www-authenticate": 'Bearer realm="deckhand"' });
      }
    }
    await next();
  });

  app.use("*", async (c, next) => {
    checkRequestTarget(c); // ids in the path: invalid UTF-8 (raw or percent-encoded) is refused, 422
    await next();
  });

  app.use("*", bodyLimit({
    maxSize: options.maxBodyBytes,
    onError: (c) => {
      const { status, body } = errorBody(new BodyTooLargeError(`the request body is larger than ${options.maxBodyBytes} bytes`));
      // The client may still be sending the rest of the body: close the connection, or its next pooled
      // request would be read from the middle of this one.
      return c.json(body, status, { connection: "close" });
    },
  }));

  app.use("*", jsonBodyGuard);

  mountRunRoutes(app, state);
  mountReportRoutes(app, state);
  mountProtocolRoutes(app, state);
  mountCaptureRoutes(app, state);
  options.mountPages?.(app, createStatusSource(state));
  mountSystemRoutes(app, state, metrics);

  app.notFound((c) => errorResponse(c, new RouteNotFoundError(`no route ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      const mapped = error.status === 413 ? new BodyTooLargeError(error.message) : error.status < 500 ? new InvalidRequestError(error.message) : error;
      return errorResponse(c, mapped);
    }
    const { status } = errorBody(error);
    if (status >= 500 && (error as { code?: unknown }).code === undefined) console.error(`robot: ${c.req.method} ${c.req.path} failed`, error);
    return errorResponse(c, error);
  });
  return app;
}
