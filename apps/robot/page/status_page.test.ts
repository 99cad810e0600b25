// The status page as served, without a browser: what a client without JavaScript gets, the run page's paging,
// the assets' cache headers and sizes, and hostile ids. The robot here is the SYNTHETIC one of
// synthetic_robot.ts (in-memory runs, made-up readings), since these tests are about the page, not the app.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { mountStatusPage } from "../status_page.tsx";
import { ASSET_CACHE_CONTROL } from "./page_assets.ts";
import type { PageSnapshot } from "./status_shapes.ts";
import { createSyntheticApp, syntheticState } from "./synthetic_robot.ts";

const syntheticApp = () => createSyntheticApp(syntheticState());

function appWith(snapshot: PageSnapshot): Hono {
  const app = new Hono();
  mountStatusPage(app, { snapshot: async () => snapshot });
  return app;
}

const assetUrls = (html: string) => [...html.matchAll(/(?:href|src)="(\/page\/assets\/[^"]+)"/g)].map((m) => m[1]!);

test("GET / renders runs, collectors, sync and system as plain HTML (no JavaScript needed)", async () => {
  const response = await syntheticApp().request("/");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/html/);
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.match(response.headers.get("content-security-policy")!, /default-src 'self'/);
  const html = await response.text();
  assert.ok(html.startsWith("<!doctype html>"));
  const order = ["run-b", "run-bad", "run-a"].map((id) => html.indexOf(`data-run="${id}"`));
  assert.ok(order.every((i) => i > 0), "every run is listed");
  assert.deepEqual([...order].sort((a, b) => a - b), order, "newest first");
  assert.match(html, /<tr data-run="run-bad" class="bad">/);
  assert.match(html, /MIGRATION_QUARANTINED<\/strong> legacy record could not be decoded/);
  assert.match(html, /data-delete-run="run-bad"/);
  assert.match(html, /<td data-f="commandCount" class="num" data-label="Commands">45<\/td>/);
  assert.match(html, /data-collector="temperature"/);
  assert.match(html, /4\.9 Hz \/ 5\.0 Hz/);
  assert.match(html, />online</);
  assert.match(html, /capture-0007\.mcap<\/span>: target refused the upload: 413 Payload Too Large/);
  assert.match(html, /12\.3 GB \(capture stops below 500 MB\)/);
  assert.match(html, /<dd data-f="dataVersion">2<\/dd>/);
  assert.match(html, /<div id="migration" hidden="">/, "no migration bar when not migrating");
  for (const url of assetUrls(html)) assert.ok(url.startsWith("/page/assets/"), "no external resource");
  assert.doesNotMatch(html, /(?:src|href)="(?:https?:)?\/\//, "nothing from another host");
});

test("while migrating, the system section shows the progress bar with its ETA", async () => {
  const html = await (
    await appWith({
      runs: [],
      collectors: [],
      system: { diskFreeBytes: 1e9, diskThresholdBytes: 2e9, dbBytes: 0, dataVersion: 1, migrating: true },
      migration: { phase: "converting runs", done: 250, total: 1000, quarantined: 3, itemsPerSecond: 50, etaMs: 15_000 },
    }).request("/")
  ).text();
  assert.match(html, /<div id="migration">/);
  assert.match(html, /<progress id="migration-bar" max="1000" value="250"/);
  assert.match(html, /converting runs: 250 of 1000 \(25%\), ETA 15s, 3 quarantined/);
  assert.match(html, /<dd data-f="disk" class="warn">1\.00 GB \(capture stops below 2\.00 GB\)<\/dd>/, "low disk stands out");
  assert.match(html, /No runs yet\./);
  assert.match(html, /No collectors\./);
  assert.match(html, /not running/, "no sync engine is said, not hidden");
});

test("the sync engine's last error shows as its code and message", async () => {
  const sync = { online: false, queued: 3, uploadedFiles: 0, uploadedBytes: 0, bytesPerSecond: 0, failedFiles: [] };
  const lastError = { code: "SYNC_TARGET_UNREACHABLE", message: "connect ECONNREFUSED", at: "2026-11-29T20:00:00Z" };
  const html = await (await appWith({ runs: [], collectors: [], sync: { ...sync, lastError } }).request("/")).text();
  assert.match(html, /<dd data-f="lastError">SYNC_TARGET_UNREACHABLE: connect ECONNREFUSED<\/dd>/);
  assert.match(html, /<dd data-f="online" class="warn">offline<\/dd>/);
});

test("text from stored records is escaped, never markup", async () => {
  const hostile = "<script>alert(1)</script>";
  const html = await (
    await appWith({ runs: [{ id: `x${hostile}`, createdAt: "2026-01-01T00:00:00Z", dataError: { code: "STORE_X", message: hostile } }], collectors: [] }).request("/")
  ).text();
  assert.doesNotMatch(html, /<script>alert/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});

test("the runs fragment is the table rows alone, for the client to swap in", async () => {
  const response = await syntheticApp().request("/page/fragments/runs");
  assert.equal(response.status, 200);
  const html = await response.text();
  assert.match(html, /^<tr data-run="run-b">/);
  assert.doesNotMatch(html, /<!doctype|<html/);
});

test("the page lists at most 50 runs and says where the rest are", async () => {
  const runs = Array.from({ length: 60 }, (_, i) => ({ id: `r${String(i).padStart(2, "0")}`, status: "succeeded", createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() }));
  const html = await (await appWith({ runs, collectors: [] }).request("/")).text();
  assert.equal([...html.matchAll(/<tr data-run=/g)].length, 50);
  assert.ok(html.indexOf('data-run="r59"') < html.indexOf('data-run="r10"'), "the newest are the ones shown");
  assert.doesNotMatch(html, /data-run="r09"/);
  assert.match(html, /10 older runs are in the API/);
});

test("a run's page shows its commands a page at a time, with page links and the report links", async () => {
  const app = syntheticApp();
  const last = await (await app.request("/page/runs/run-a")).text();
  assert.match(last, /26–45 of 45/, "without a cursor: the last page, as the API gives it");
  assert.equal([...last.matchAll(/<tbody id="commands-body">|<tr(?: class="bad")?><td class="num">/g)].length, 1 + 20);
  assert.match(last, /href="\/page\/runs\/run-a\?cursor=0">First</);
  assert.match(last, /href="\/page\/runs\/run-a\?cursor=5">Earlier</);
  assert.match(last, /<span aria-disabled="true">Later<\/span>/);
  for (const kind of ["json", "csv", "html"]) assert.match(last, new RegExp(`href="/runs/run-a/report\\.${kind}"`));
  const first = await (await app.request("/page/runs/run-a?cursor=0")).text();
  assert.match(first, /1–20 of 45/);
  assert.match(first, /href="\/page\/runs\/run-a\?cursor=20">Later</);
  assert.match(first, /href="\/page\/runs\/run-a\?cursor=25">Last</);
  const bad = await (await app.request("/page/runs/run-bad")).text();
  assert.match(bad, /MIGRATION_QUARANTINED/);
});

test("a run page for a missing, oversized or malformed id is a 404 page, not a crash", async () => {
  const app = syntheticApp();
  for (const id of ["nope", "a".repeat(5000), "%ED%A0%80", "..%2F..%2Fetc%2Fpasswd"]) {
    const response = await app.request(`/page/runs/${id}`);
    assert.equal(response.status, 404, id.slice(0, 20));
    assert.match(await response.text(), /not found/);
  }
  const response = await app.request("/page/runs/run-a?cursor=-1%3Cb%3E");
  assert.equal(response.status, 200, "a nonsense cursor is ignored");
});

test("scripts and styles come from the package, content-hashed, with immutable cache headers and ETags", async (t) => {
  const app = syntheticApp();
  const urls = assetUrls(await (await app.request("/")).text());
  assert.equal(urls.length, 4, "client.js, status.css, uPlot's JS and CSS");
  const sizes: Record<string, number> = {};
  for (const url of urls) {
    const response = await app.request(url);
    assert.equal(response.status, 200, url);
    assert.equal(response.headers.get("cache-control"), ASSET_CACHE_CONTROL);
    assert.match(response.headers.get("content-type")!, url.endsWith(".css") ? /^text\/css/ : /^text\/javascript/);
    const etag = response.headers.get("etag")!;
    assert.ok(url.includes(etag.replaceAll('"', "")), "the URL carries the content hash");
    sizes[url] = (await response.arrayBuffer()).byteLength;
    const again = await app.request(url, { headers: { "If-None-Match": etag } });
    assert.equal(again.status, 304);
  }
  const own = Object.entries(sizes).filter(([url]) => /\/(client|status)\./.test(url));
  for (const [url, bytes] of own) {
    t.diagnostic(`${url}: ${bytes} bytes`);
    assert.ok(bytes < 16_000, `${url} stays small`);
  }
  assert.equal((await app.request("/page/assets/client.000000000000.js")).status, 404);
});
