/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * The robot's live status page: `GET /` renders runs, capture, sync and system on the server (a complete page
 * without JavaScript); the client script then keeps it live from `GET /events` (no polling). A run's page
 * (`/page/runs/:id`) lists its commands a page at a time and links its reports. Scripts and styles, uPlot's
 * included, come from the package under content-hashed URLs with immutable cache headers.
 *
 * @module
 */
import type { Context, Env, Hono } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import { ASSET_CACHE_CONTROL, ASSET_PREFIX, loadPageAssets } from "./page/page_assets.ts";
import { type CommandPage, COMMANDS_PER_PAGE, type PageCommand, RunDocument } from "./page/run_page.tsx";
import { RunRows } from "./page/runs_table.tsx";
import { StatusDocument } from "./page/status_document.tsx";
import type { PageRun, PageStatusSource } from "./page/status_shapes.ts";

/** The page's Content-Security-Policy: everything from this robot, nothing inline, nothing from elsewhere. */
export const STATUS_PAGE_CSP: string =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const MAX_ID_BYTES = 200;

async function sendHtml(c: Context, element: JSX.Element, status: 200 | 404 = 200, document = true): Promise<Response> {
  const body = `${document ? "<!doctype html>" : ""}${await element}`;
  return c.body(body, status, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": STATUS_PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
  });
}

async function readJson(app: { request(path: string): Response | Promise<Response> }, path: string): Promise<unknown> {
  const response = await app.request(path);
  if (!response.ok) {
    await response.body?.cancel();
    return undefined;
  }
  return response.json();
}

function asCommandPage(body: unknown): CommandPage | null {
  const page = body as { data?: unknown; meta?: { cursor?: unknown; totalLength?: unknown } } | undefined;
  if (!page || !Array.isArray(page.data)) return null;
  const cursor = typeof page.meta?.cursor === "number" ? page.meta.cursor : 0;
  const totalLength = typeof page.meta?.totalLength === "number" ? page.meta.totalLength : page.data.length;
  return { commands: page.data as PageCommand[], cursor, totalLength };
}

/**
 * Adds the status page's routes to the robot's Hono app: `GET /`, `GET /page/runs/:id`,
 * `GET /page/fragments/runs` (the runs table rows the client swaps in) and `GET /page/assets/*`.
 *
 * @example
 * ```ts
 * const app = new Hono();
 * mountStatusPage(app, { snapshot: async () => ({ runs: [], collectors: [], sync: null, system: null }) });
 * ```
 */
export function mountStatusPage<E extends Env>(app: Hono<E>, source: PageStatusSource): void {
  const assets = loadPageAssets();

  app.get("/", async (c) => {
    const snapshot = await source.snapshot();
    return sendHtml(c, <StatusDocument snapshot={snapshot} assets={assets.urls} renderedAt={new Date()} />);
  });

  app.get("/page/fragments/runs", async (c) => {
    const snapshot = await source.snapshot();
    return sendHtml(c, <RunRows runs={snapshot.runs} />, 200, false);
  });

  app.get("/page/runs/:id", async (c) => {
    const id = c.req.param("id");
    const notFound = () =>
      sendHtml(
        c,
        <RunDocument run={{ id, status: "not found" }} page={{ commands: [], cursor: 0, totalLength: 0 }} assets={assets.urls} renderedAt={new Date()} />,
        404,
      );
    if (new TextEncoder().encode(id).byteLength > MAX_ID_BYTES || /\p{Cs}/u.test(id)) return notFound();
    const runPath = `/runs/${encodeURIComponent(id)}`;
    const run = ((await readJson(app, runPath)) as { data?: PageRun } | undefined)?.data;
    if (!run) return notFound();
    const cursorParam = c.req.query("cursor");
    const cursor = cursorParam !== undefined && /^\d{1,9}$/.test(cursorParam) ? `&cursor=${cursorParam}` : "";
    const page = asCommandPage(await readJson(app, `${runPath}/commands?pageLength=${COMMANDS_PER_PAGE}${cursor}`));
    return sendHtml(c, <RunDocument run={run} page={page} assets={assets.urls} renderedAt={new Date()} />);
  });

  app.get(`${ASSET_PREFIX}:name`, (c) => {
    const asset = assets.byPath.get(c.req.path);
    if (!asset) return c.text("not found", 404);
    const headers = { "Cache-Control": ASSET_CACHE_CONTROL, ETag: asset.etag, "X-Content-Type-Options": "nosniff" };
    if (c.req.header("If-None-Match") === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body, 200, { ...headers, "Content-Type": asset.contentType });
  });
}
