/**
 * `/runs/:runId/report.json|.csv|.html`: rendered through the render cache. The content hash is the ETag,
 * `If-None-Match` answers 304 without rendering, a failed render answers 500 with `Retry-After`.
 *
 * @module
 */
import type { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { RenderFailedError } from "./errors.ts";
import { errorBody } from "./http_errors.ts";
import { checkId } from "./ids.ts";
import { errorEnvelope, jsonResponse } from "./request_validation.ts";
import type { RobotState } from "./robot_state.ts";
import type { ReportFormat } from "./run_reports.ts";

const MEDIA: Record<ReportFormat, string> = { json: "application/json", csv: "text/csv", html: "text/html" };

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const t = tag.trim().replace(/^W\//, "");
    return t === "*" || t === etag;
  });
}

/** Mounts the report routes. */
export function mountReportRoutes(app: Hono, state: RobotState): void {
  for (const format of ["json", "csv", "html"] as const) {
    app.get(`/runs/:runId/report.${format}`, describeRoute({
      tags: ["reports"], summary: `The run's report as ${format.toUpperCase()} (ETag = content hash; If-None-Match answers 304)`,
      responses: {
        200: { description: "the report", content: { [MEDIA[format]]: { schema: { type: "string" } } } },
        304: { description: "not modified" },
        404: jsonResponse("no such run", errorEnvelope),
        500: jsonResponse("the render failed; retry after Retry-After seconds", errorEnvelope),
      },
    }), async (c) => {
      const { store, reports } = state.require();
      const runId = checkId(c.req.param("runId"), "runId");
      await store.getRun(runId);
      const etag = `"${reports.key(format, runId)}"`;
      if (matches(c.req.header("if-none-match"), etag)) return c.body(null, 304, { etag });
      const result = await reports.get(format, runId, c.req.raw.signal);
      if (result.status === "failed") {
        const { status, body } = errorBody(new RenderFailedError(`the ${format} report of run ${runId} failed to render: ${result.error.message}`));
        const retryAfter = Math.max(1, Math.ceil((result.retryAt - Date.now()) / 1000));
        return c.json(body, status, { "retry-after": String(retryAfter) });
      }
      return c.body(result.body as Uint8Array<ArrayBuffer>, 200, { "content-type": result.contentType, etag: `"${result.key}"`, "cache-control": "no-cache" });
    });
  }
}
