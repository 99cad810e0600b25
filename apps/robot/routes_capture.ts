/**
 * Capture and sync routes: collectors with their stats, start and stop one, the capture files; sync status and
 * sync now.
 *
 * @module
 */
import type { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { checkId } from "./ids.ts";
import { errorEnvelope, jsonResponse } from "./request_validation.ts";
import type { RobotState } from "./robot_state.ts";

const notFound = jsonResponse("no such collector", errorEnvelope);

/** Mounts `/capture/...` and `/sync/...`. */
export function mountCaptureRoutes(app: Hono, state: RobotState): void {
  app.get("/capture/collectors", describeRoute({ tags: ["capture"], summary: "Collectors with their stats", responses: { 200: jsonResponse("the collectors") } }), (c) => {
    const { capture } = state.require();
    return c.json({ data: capture.collectors() });
  });

  for (const action of ["start", "stop"] as const) {
    app.post(`/capture/collectors/:name/${action}`, describeRoute({ tags: ["capture"], summary: `${action === "start" ? "Start" : "Stop"} a collector`, responses: { 200: jsonResponse("the collector"), 404: notFound } }), async (c) => {
      const { capture } = state.require();
      const name = checkId(c.req.param("name"), "collector");
      if (action === "start") capture.startCollector(name);
      else await capture.stopCollector(name);
      return c.json({ data: capture.collectors().find((row) => row.name === name) });
    });
  }

  app.get("/capture/files", describeRoute({ tags: ["capture"], summary: "Capture files (.mcap finished, .mcap.part being written)", responses: { 200: jsonResponse("the files") } }), async (c) => {
    const { capture } = state.require();
    const files = await capture.files();
    // Damaged finished files found at start are set aside under corrupt/ (not listed, not synced): said here.
    return c.json({ data: files, meta: { cursor: 0, totalLength: files.length, damaged: capture.boot.damaged } });
  });

  app.get("/sync/status", describeRoute({ tags: ["sync"], summary: "The sync service's status", responses: { 200: jsonResponse("the status") } }), async (c) => {
    const { sync } = state.require();
    return c.json({ data: await sync.status() });
  });

  app.post("/sync/now", describeRoute({ tags: ["sync"], summary: "Scan and upload finished capture files now", responses: { 202: jsonResponse("started"), 503: jsonResponse("no sync service", errorEnvelope) } }), async (c) => {
    const { sync } = state.require();
    await sync.syncNow();
    return c.json({ data: await sync.status() }, 202);
  });
}
