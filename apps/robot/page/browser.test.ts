// The status page as a person uses it, against the real robot app as a child process (robot_under_test.ts),
// in Debian's chromium driven by playwright-core: it renders, stays live
// from /events without reloads, plots, deletes a bad run after a confirmation, shows "reconnecting" across a
// restart, raises no console error or failed request, passes axe-core, and is photographed at desktop and
// phone widths. Skips (saying why) where chromium is missing and cannot be installed (not root).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { type BrowserRobot, startMigratingRobot, startRobotUnderTest } from "./robot_under_test.ts";

const CHROMIUM = "/usr/bin/chromium";
/** Where the screenshots go (kept after the run for people to look at; ignored by git). */
export const SCREENSHOT_DIR: string = fileURLToPath(new URL("./screenshots/", import.meta.url));

function chromiumOrReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (process.getuid?.() !== 0) return `${CHROMIUM} is missing and only root can install it (apt-get install chromium)`;
  const installed = spawnSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium"], { stdio: "inherit", timeout: 600_000 });
  return installed.status === 0 && existsSync(CHROMIUM) ? undefined : "apt-get install chromium failed";
}

const skip = chromiumOrReason();
const options = { skip: skip ?? false, timeout: 120_000 };
const waitMs = 30_000;

let browser: Browser;
let robot: BrowserRobot;
let page: Page;
let phase = "load";
const problems: string[] = [];
const outside: string[] = [];

before(async () => {
  if (skip) return;
  const { chromium } = await import("playwright-core");
  robot = await startRobotUnderTest();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`[${phase}] console: ${message.text()} at ${message.location().url}`);
  });
  page.on("pageerror", (error) => problems.push(`[${phase}] page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`[${phase}] request failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on("request", (request) => {
    if (!request.url().startsWith(robot.url) && !request.url().startsWith("data:")) outside.push(request.url());
  });
  await page.goto(robot.url);
  await page.evaluate("window.loadedOnce = 1");
});

after(async () => {
  await browser?.close();
  await robot?.dispose();
});

const noReload = async () => assert.equal(await page.evaluate("window.loadedOnce"), 1, "the page was not reloaded");
const pointCount = (key: string) => page.locator(`[data-plot="${key}"]`).getAttribute("data-points").then(Number);
const commandCount = (runId: string) => page.locator(`tr[data-run="${runId}"] [data-f="commandCount"]`).textContent().then(Number);

/** Polls `check` until it holds (the browser updates on its own schedule; no fixed sleeps). */
async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** axe-core's serious and critical violations on the page as it is now. */
async function graveAxeViolations(target: Page): Promise<{ id: string; impact: string; targets: string[] }[]> {
  if (!(await target.evaluate("typeof window.axe === 'object'"))) {
    await target.evaluate(await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8"));
  }
  const { passes, violations } = (await target.evaluate(
    `axe.run().then((r) => ({ passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(" ")) })) }))`,
  )) as { passes: number; violations: { id: string; impact: string; targets: string[] }[] };
  assert.ok(passes > 10, `axe checked the page (${passes} rules passed)`);
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

test("the page renders runs, collectors and sync, then goes live", options, async () => {
  await page.locator('#live[data-state="live"]').waitFor({ timeout: waitMs });
  assert.equal(await page.locator("#live").textContent(), "Live");
  for (const id of robot.goodRunIds) await page.locator(`tr[data-run="${id}"]`).waitFor({ timeout: waitMs });
  await page.locator(`tr[data-run="${robot.badRunId}"].bad`).waitFor();
  assert.match((await page.locator(`tr[data-run="${robot.badRunId}"] .run-error`).textContent())!, new RegExp(robot.badRunCode));
  await page.locator(`tr[data-collector="${robot.collector}"]`).waitFor();
  assert.match((await page.locator(`tr[data-collector="${robot.collector}"] [data-f="rate"]`).textContent())!, /Hz \/ .* Hz/);
  assert.match((await page.locator('#sync [data-f="online"]').textContent())!, /^(online|offline)$/);
  assert.match((await page.locator('#system [data-f="dataVersion"]').textContent())!, /\S/);
});

test("without JavaScript the page still shows runs, collectors, sync and system", options, async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
  try {
    const tab = await context.newPage();
    await tab.goto(robot.url);
    assert.match((await tab.locator("#live").textContent())!, /^Snapshot of \d\d:\d\d:\d\d UTC$/);
    assert.equal(await tab.locator(`tr[data-run="${robot.liveRunId}"]`).count(), 1);
    assert.match((await tab.locator(`tr[data-run="${robot.badRunId}"] .run-error`).textContent())!, new RegExp(robot.badRunCode));
    assert.equal(await tab.locator(`button[data-delete-run="${robot.badRunId}"]`).isVisible(), false, "no dead button without the script");
    assert.match((await tab.locator(`tr[data-collector="${robot.collector}"] [data-f="rate"]`).textContent())!, /Hz \/ .* Hz/);
    assert.match((await tab.locator('#sync [data-f="online"]').textContent())!, /^(online|offline)$/);
    assert.match((await tab.locator('#system [data-f="disk"]').textContent())!, /capture stops below/);
  } finally {
    await context.close();
  }
});

test("the plot's point count grows as samples arrive", options, async () => {
  const key = `capture:${robot.collector}`;
  await page.locator(`[data-plot="${key}"] canvas`).waitFor({ timeout: waitMs });
  const first = await pointCount(key);
  await waitUntil("the plot has more points", async () => (await pointCount(key)) > first + 2);
  await noReload();
});

test("a command appended through the API shows up without a reload", options, async () => {
  const before = await commandCount(robot.liveRunId);
  await robot.appendCommand(robot.liveRunId);
  await waitUntil("the command count went up", async () => (await commandCount(robot.liveRunId)) === before + 1);
  await noReload();
});

test("a run's page lists its commands and links its reports, which the robot serves", options, async () => {
  const runId = robot.goodRunIds[0]!;
  const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await tab.goto(robot.url);
    await tab.locator(`tr[data-run="${runId}"] a`).click();
    await tab.waitForURL(`**/page/runs/${runId}`);
    assert.match((await tab.locator(".pager").textContent())!, /1–3 of 3/);
    assert.equal(await tab.locator("#commands-body tr").count(), 3);
    assert.deepEqual(await graveAxeViolations(tab), [], "axe on a run's page");
    for (const kind of ["json", "csv", "html"]) {
      const href = await tab.locator(`a[href="/runs/${runId}/report.${kind}"]`).getAttribute("href");
      const response = await tab.request.get(`${robot.url}${href}`);
      assert.equal(response.status(), 200, `report.${kind}`);
    }
  } finally {
    await tab.close();
  }
});

test("screenshots at desktop and phone widths, and no serious or critical axe-core violations", options, async (t) => {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const key = `capture:${robot.collector}`;
  await waitUntil("the plot has some history", async () => (await pointCount(key)) > 25);
  // Capture files finish every 2 s and the sync service uploads them: the page shows it live.
  await waitUntil("the sync service reports uploads", async () => /^[1-9]\d* files, /.test((await page.locator('#sync [data-f="uploaded"]').textContent()) ?? ""));
  assert.equal(await page.locator('#sync [data-f="online"]').textContent(), "online");
  await page.screenshot({ path: `${SCREENSHOT_DIR}desktop.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  // The plots follow the width through a ResizeObserver, so the layout settles a frame or two later.
  await waitUntil("nothing scrolls sideways at a phone's width", async () => (await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")) === true);
  await page.screenshot({ path: `${SCREENSHOT_DIR}phone.png`, fullPage: true });
  t.diagnostic(`screenshots in ${SCREENSHOT_DIR}`);
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    assert.deepEqual(await graveAxeViolations(page), [], `axe at ${width}px`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
});

test("a bad run is deleted from the page after a confirmation", options, async () => {
  const row = page.locator(`tr[data-run="${robot.badRunId}"]`);
  await row.locator("button[data-delete-run]").click();
  const dialog = page.locator("#delete-dialog");
  await dialog.waitFor({ state: "visible" });
  assert.match((await dialog.textContent())!, new RegExp(`Delete run ${robot.badRunId}\\?`));
  assert.deepEqual(await graveAxeViolations(page), [], "axe with the dialog open");
  await page.locator("#delete-dialog button[value=cancel]").click();
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await row.count(), 1, "cancel keeps the run");
  await row.locator("button[data-delete-run]").click();
  if (robot.token) await page.locator("#delete-token").fill(robot.token);
  await page.locator("#delete-confirm").click();
  await row.waitFor({ state: "detached", timeout: waitMs });
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await robot.runExists(robot.badRunId), false, "the API no longer has it");
  await noReload();
});

test("stopping and restarting the robot shows reconnecting, then live data again", options, async () => {
  phase = "restart";
  await robot.stop();
  await page.locator('#live[data-state="reconnecting"]').waitFor({ timeout: waitMs });
  assert.equal(await page.locator("#live").textContent(), "Reconnecting…");
  await robot.restart();
  await page.locator('#live[data-state="live"]').waitFor({ timeout: waitMs });
  phase = "after restart";
  const key = `capture:${robot.collector}`;
  const points = await pointCount(key);
  await waitUntil("the plot grows again", async () => (await pointCount(key)) > points);
  const runId = await robot.runAcceptingCommands();
  await page.locator(`tr[data-run="${runId}"] [data-f="commandCount"]`).waitFor({ timeout: waitMs });
  const before = await commandCount(runId);
  await robot.appendCommand(runId);
  await waitUntil("the command count went up after the restart", async () => (await commandCount(runId)) === before + 1);
  await noReload();
});

test("series, DOM and heap stay bounded under hours' worth of events (a SYNTHETIC /events stream)", options, async (t) => {
  // Each time the browser opens /events it gets, made up here in place of the robot's stream: twenty minutes of
  // 10 Hz samples up to now, a thousand sync updates each listing 50 failed files and a thousand collector
  // updates. The stream then ends, the browser reconnects and gets the next burst: many cycles, one tab.
  const burst = (): string => {
    const now = Date.now();
    const events: string[] = [];
    const sse = (event: string, data: unknown) => events.push(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    for (let batch = 0; batch < 1200; batch++) {
      const samples = Array.from({ length: 10 }, (_, i) => ({ t: now - 1_200_000 + (batch * 10 + i) * 100, values: { currentC: 20 + Math.sin(batch + i), targetC: 4 } }));
      sse("samples", { collector: robot.collector, samples });
      if (batch < 1000) {
        const failedFiles = Array.from({ length: 50 }, (_, i) => ({ name: `f-${batch}-${i}.mcap`, reason: "synthetic" }));
        sse("sync", { online: true, queued: batch, uploadedFiles: batch, uploadedBytes: batch * 1000, bytesPerSecond: batch, failedFiles });
        sse("collectors", [{ name: robot.collector, targetHz: 10, effectiveHz: 9.9, missedTicks: batch, errors: 0, reconnects: 0, running: true }]);
      }
    }
    return events.join("");
  };
  const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await tab.route("**/events", (route) => route.fulfill({ status: 200, contentType: "text/event-stream", body: burst() }));
    const cdp = await tab.context().newCDPSession(tab);
    const heapAfterGc = async () => {
      await cdp.send("HeapProfiler.collectGarbage");
      return (await cdp.send("Runtime.getHeapUsage")).usedSize;
    };
    const nodes = () => tab.evaluate("document.getElementsByTagName('*').length") as Promise<number>;
    const points = () => tab.locator(`[data-plot="capture:${robot.collector}"]`).getAttribute("data-points").then(Number);
    const cycle = async () => {
      // "reconnecting" means the browser read a whole burst and the stream ended.
      await tab.locator('#live[data-state="reconnecting"]').waitFor({ timeout: waitMs });
      await tab.locator('#live[data-state="live"]').waitFor({ timeout: waitMs });
    };
    await tab.goto(robot.url);
    await cycle();
    await waitUntil("the first burst is drawn", async () => (await points()) > 1000);
    assert.equal(await tab.locator('#sync [data-f="queued"]').textContent(), "999", "the whole burst was applied");
    const first = { nodes: await nodes(), heap: await heapAfterGc() };
    assert.ok((await points()) <= 1200, "at most 1200 points kept");
    assert.equal(await tab.locator("#sync-failed li").count(), 20, "failed files listed up to 20");
    assert.equal(await tab.locator("#collectors-body tr").count(), 1);
    for (let i = 0; i < 2; i++) await cycle();
    await tab.locator('#live[data-state="reconnecting"]').waitFor({ timeout: waitMs });
    const last = { nodes: await nodes(), heap: await heapAfterGc(), points: await points() };
    t.diagnostic(`after 1 burst: ${first.nodes} elements, ${first.heap} B heap; after 3: ${last.nodes} elements, ${last.heap} B heap, ${last.points} points`);
    assert.ok(last.points <= 1200, `at most 1200 points kept (${last.points})`);
    assert.ok(last.nodes <= first.nodes + 5, `the DOM does not grow with events (${first.nodes} -> ${last.nodes} elements)`);
    assert.ok(last.heap - first.heap < 2_000_000, `the heap stays flat (${first.heap} -> ${last.heap} bytes after GC)`);
  } finally {
    await tab.close();
  }
});

test("while the robot migrates, the page shows the progress bar with its ETA, then the robot", options, async () => {
  const migrating = await startMigratingRobot(5000);
  const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const tabProblems: string[] = [];
  tab.on("console", (message) => {
    if (message.type() === "error") tabProblems.push(`console: ${message.text()} at ${message.location().url}`);
  });
  tab.on("pageerror", (error) => tabProblems.push(`page error: ${error.message}`));
  try {
    await tab.goto(migrating.url);
    await tab.locator("#migration").waitFor({ state: "visible", timeout: waitMs });
    assert.match((await tab.locator("#migration-text").textContent())!, /^.+: \d+ of \d+ \(\d+%\), ETA \S+, \d+ quarantined$/);
    await tab.locator("#migration").waitFor({ state: "hidden", timeout: waitMs });
    await tab.locator('#live[data-state="live"]').waitFor();
    await tab.locator("#collectors-body tr[data-collector]").first().waitFor({ timeout: waitMs });
    // The migrated runs appear without a reload, the quarantined ones as bad runs.
    await tab.locator("#runs-body tr.bad", { hasText: "MIGRATION_QUARANTINED" }).first().waitFor({ timeout: waitMs });
    assert.ok((await tab.locator("#runs-body tr[data-run]").count()) >= 12);
    assert.deepEqual(tabProblems, []);
  } finally {
    await tab.close();
    await migrating.dispose();
  }
});

test("no console errors, no failed requests, nothing fetched from outside the robot", options, () => {
  // While the robot is down on purpose, the browser's own retries of /events fail; those are expected.
  const unexpected = problems.filter((p) => !(p.startsWith("[restart]") && /\/events|ERR_CONNECTION_REFUSED/.test(p)));
  assert.deepEqual(unexpected, []);
  assert.deepEqual(outside, []);
});
