/**
 * The page's static files: its own script and style sheet and uPlot's, served from the package (never a CDN:
 * robots are often offline) under content-hashed URLs with a year-long immutable cache.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import type { AssetUrls } from "./status_document.tsx";

/** One static file held in memory. */
export interface PageAsset {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly contentType: string;
  readonly etag: string;
}

/** The loaded files, by the URL path they are served at, and the URLs the page links. */
export interface PageAssets {
  readonly urls: AssetUrls;
  readonly byPath: ReadonlyMap<string, PageAsset>;
}

/** Where the assets are served. */
export const ASSET_PREFIX = "/page/assets/";

/** The `Cache-Control` of every asset: the URL changes when the content does. */
export const ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable";

const require = createRequire(import.meta.url);

function load(path: string, contentType: string, map: Map<string, PageAsset>): string {
  const body = new Uint8Array(readFileSync(path));
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
  const name = basename(path).replace(/\.(min\.)?(js|css)$/, (ext) => `.${hash}${ext}`);
  const url = `${ASSET_PREFIX}${name}`;
  map.set(url, { body, contentType, etag: `"${hash}"` });
  return url;
}

/** Reads the page's files (from this folder and the pinned `uplot` package) once, at mount. */
export function loadPageAssets(): PageAssets {
  const byPath = new Map<string, PageAsset>();
  const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
  const urls: AssetUrls = {
    js: load(here("./client.js"), "text/javascript; charset=utf-8", byPath),
    css: load(here("./status.css"), "text/css; charset=utf-8", byPath),
    uplotJs: load(require.resolve("uplot/dist/uPlot.iife.min.js"), "text/javascript; charset=utf-8", byPath),
    uplotCss: load(require.resolve("uplot/dist/uPlot.min.css"), "text/css; charset=utf-8", byPath),
  };
  return { urls, byPath };
}
