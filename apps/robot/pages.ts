/**
 * Where the status page is wired in. The status-page branch (issue 18) owns `status_page.tsx` and `page/`;
 * when it merges, this file becomes `export { mountStatusPage as mountPages } from "./status_page.tsx";`.
 * Until then the robot serves no page at `/` (it answers the 404 envelope).
 *
 * @module
 */
import type { Hono } from "hono";
import type { StatusSource } from "./status_source.ts";

/** Mounts the status page on the app, or nothing when it is not part of this build. */
export const mountPages: ((app: Hono, source: StatusSource) => void) | undefined = undefined;
