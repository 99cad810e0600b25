/**
 * `/health` (503 with the migration progress while migrating, 200 with versions after), `/metrics`
 * (Prometheus text), `/events` (server-sent events) and `/openapi.json` (every route, from the same valibot
 * schemas that validate the requests).
 *
 * @module
 */
import type { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { describeRoute, openAPIRouteHandler } from "hono-openapi";
import type { RobotEvent } from "./event_hub.ts";
import type { RobotMetrics } from "./metrics.ts";
import { jsonResponse } from "./request_validation.ts";
import { APP_VERSION, type RobotState } from "./robot_state.ts";

/** Mounts the system routes; `/openapi.json` documents every route mounted on `app` (call it last). */
export function mountSystemRoutes(app: Hono, state: RobotState, metrics: RobotMetrics): void {
  app.get("/health", describeRoute({ tags: ["system"], summary: "200 with versions when ready; 503 with the migration progress while migrating", responses: { 200: jsonResponse("ready"), 503: jsonResponse("migrating or stopping") } }), (c) => {
    const services = state.phase === "ready" ? state.services : undefined;
    if (!services) {
      return c.json({ status: state.phase, ...(state.migration ? { migration: state.migration } : {}), ...(state.failure ? { error: state.failure.message } : {}) }, 503);
    }
    return c.json({
      status: "ok",
      versions: { app: APP_VERSION, dataVersion: services.boot.version, node: process.versions.node },
      migratedFrom: services.boot.migratedFrom,
      quarantined: services.boot.quarantined,
      capture: {
        verifiedFiles: services.capture.boot.verifiedFiles,
        damagedFiles: services.capture.boot.damaged,
        unrecoverableFiles: services.capture.boot.recovered.filter((r) => r.status === "failed").map((r) => ({ file: r.file, reason: r.error?.message ?? "unknown" })),
      },
      dataRoot: state.dataRoot,
    });
  });

  app.get("/metrics", describeRoute({ tags: ["system"], summary: "Prometheus metrics", responses: { 200: { description: "Prometheus text exposition", content: { "text/plain": { schema: { type: "string" } } } } } }), async (c) => {
    return c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType });
  });

  app.get("/events", describeRoute({
    tags: ["system"], summary: "Server-sent events: run, samples, collectors, sync, system, migration",
    responses: { 200: { description: "an event stream", content: { "text/event-stream": { schema: { type: "string" } } } } },
  }), (c) => {
    return streamSSE(c, async (stream) => {
      const queue: RobotEvent[] = [...state.hub.latest()];
      let wake: (() => void) | undefined;
      const unsubscribe = state.hub.subscribe((event) => {
        if (queue.length < 10_000) queue.push(event);
        wake?.();
      });
      const stop = new AbortController();
      const onShutdown = (): void => stop.abort();
      state.shutdown.signal.addEventListener("abort", onShutdown, { once: true });
      stream.onAbort(() => stop.abort());
      let ping = false;
      const keepAlive = setInterval(() => {
        ping = true;
        wake?.();
      }, 15_000);
      try {
        await stream.writeSSE({ event: "hello", data: JSON.stringify({ phase: state.phase }) });
        while (!stop.signal.aborted) {
          if (ping) {
            ping = false;
            await stream.write(": keep-alive\n\n");
          }
          const event = queue.shift();
          if (event === undefined) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              stop.signal.addEventListener("abort", () => resolve(), { once: true });
            });
            wake = undefined;
            continue;
          }
          await stream.writeSSE({ event: event.event, data: JSON.stringify(event.data) });
        }
      } finally {
        clearInterval(keepAlive);
        unsubscribe();
        state.shutdown.signal.removeEventListener("abort", onShutdown);
      }
    });
  });

  app.get("/openapi.json", describeRoute({ tags: ["system"], summary: "This API as OpenAPI 3.1", responses: { 200: jsonResponse("the OpenAPI document") } }), openAPIRouteHandler(app, {
    documentation: {
      info: { title: "Deckhand robot API", version: APP_VERSION, description: "Runs, protocols and analyses with Opentrons robot-server semantics; capture, sync, reports, health." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
    defaultValidationErrorResponse: { description: "invalid request (422 with the issues)", content: { "application/json": { schema: { type: "object" } } } },
  }));
}
