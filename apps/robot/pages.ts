/**
 * Where the status page is wired in: `mountStatusPage` of `status_page.tsx` (issue 18) adds `GET /`, a run's
 * page under `/page/runs/:id` and the page's assets under `/page/assets/`. The type stays optional so a build
 * without the page remains possible.
 *
 * @module
 */
import type { Hono } from "hono";
import { mountStatusPage } from "./status_page.tsx";
import type { StatusSource } from "./status_source.ts";

/** Mounts the status page on the app. */
export const mountPages: ((app: Hono, source: StatusSource) => void) | undefined = mountStatusPage;
