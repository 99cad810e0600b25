import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { contentHash } from "@deckhand/serialize";
import { client, spawnRobot, waitReady, withDataRoot, withRobot } from "./robot_test_support.ts";

/** The render cache key (and ETag) of a run's report at a change-feed sequence number. */
function reportKey(format: "json" | "csv" | "html", runId: string, rev: number): string {
  return contentHash({ name: `run-report-${format}`, version: 1, input: { runId, rev } });
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

test("reports: JSON, CSV and HTML with the content hash as ETag; If-None-Match answers 304; a change makes a new ETag", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    const runId = (await call("POST", "/runs", {})).body.data.id;
    await call("POST", `/runs/${runId}/commands`, { data: [{ id: "c1", commandType: "home", status: "succeeded" }, { id: "c2", commandType: "aspirate, \"quoted\"", status: "failed" }] });
    const json = await fetch(`${robot.url}/runs/${runId}/report.json`);
    assert.equal(json.status, 200);
    assert.match(json.headers.get("content-type") ?? "", /^application\/json/);
    const etag = json.headers.get("etag")!;
    assert.equal(etag, `"${reportKey("json", runId, 2)}"`, "the ETag is the render cache's content hash");
    const report = await json.json() as { run: { id: string }; commands: { id: string }[] };
    assert.equal(report.run.id, runId);
    assert.deepEqual(report.commands.map((c) => c.id), ["c1", "c2"]);

    const notModified = await fetch(`${robot.url}/runs/${runId}/report.json`, { headers: { "if-none-match": etag } });
    assert.equal(notModified.status, 304);
    assert.equal(await notModified.text(), "");

    const csv = await fetch(`${robot.url}/runs/${runId}/report.csv`);
    assert.match(csv.headers.get("content-type") ?? "", /^text\/csv/);
    const lines = (await csv.text()).trim().split("\r\n");
    assert.equal(lines[0], "index,id,commandType,status,createdAt,startedAt,completedAt,error");
    assert.equal(lines[2], '1,c2,"aspirate, ""quoted""",failed,,,,');
    const html = await fetch(`${robot.url}/runs/${runId}/report.html`);
    assert.match(html.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await html.text(), /aspirate, &#34;quoted&#34;/);

    await call("POST", `/runs/${runId}/commands`, { data: { id: "c3", commandType: "dispense" } });
    const changed = await fetch(`${robot.url}/runs/${runId}/report.json`, { headers: { "if-none-match": etag } });
    assert.equal(changed.status, 200, "the old ETag no longer matches");
    assert.notEqual(changed.headers.get("etag"), etag);
    assert.equal(((await changed.json()) as { commands: unknown[] }).commands.length, 3);
    assert.equal((await fetch(`${robot.url}/runs/nope/report.json`)).status, 404);
  }, ["--report-debounce-ms", "600000"]);
});

test("reports: a failed render answers 500 with Retry-After and the error envelope", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    const runId = (await call("POST", "/runs", {})).body.data.id;
    // Make the render's final rename fail: a non-empty directory where its output goes.
    const blocked = join(robot.dataRoot, "v2", "renders", `${reportKey("json", runId, 1)}.out`);
    await mkdir(blocked, { recursive: true });
    await writeFile(join(blocked, "keep"), "x");
    const failed = await fetch(`${robot.url}/runs/${runId}/report.json`);
    assert.equal(failed.status, 500);
    assert.ok(Number(failed.headers.get("retry-after")) >= 1, `Retry-After: ${failed.headers.get("retry-after")}`);
    const body = await failed.json() as { errors: { id: string; meta: { code: string } }[] };
    assert.equal(body.errors[0]!.id, "RenderFailed");
    assert.equal(body.errors[0]!.meta.code, "ROBOT_RENDER_FAILED");
    assert.equal((await fetch(`${robot.url}/runs/${runId}/report.csv`)).status, 200, "other formats still render");
  }, ["--report-debounce-ms", "600000"]);
});

test("reports: changes re-render in the background after the debounce, deletes are collected, a restart's scan catches changes made while down", { timeout: 180_000 }, async () => {
  await withDataRoot(async (dataRoot) => {
    const renders = join(dataRoot, "v2", "renders");
    const has = async (key: string): Promise<boolean> => (await readdir(renders).catch(() => [] as string[])).includes(`${key}.out`);
    let robot = await spawnRobot(dataRoot, ["--report-debounce-ms", "100"]);
    await waitReady(robot);
    let call = client(robot);
    const kept = (await call("POST", "/runs", {})).body.data.id; // seq 1
    await call("POST", `/runs/${kept}/commands`, { data: { id: "c1", commandType: "home" } }); // seq 2
    await waitFor(() => has(reportKey("json", kept, 2)));
    assert.ok(await has(reportKey("csv", kept, 2)) && await has(reportKey("html", kept, 2)), "every format is rendered without a request");
    assert.equal((await call("POST", `/runs/${kept}/actions`, { data: { actionType: "stop" } })).status, 201); // seq 3 action, 4 finished
    const doomed = (await call("POST", "/runs", {})).body.data.id; // seq 5 created (kept is archived: already finished, no entry)
    await waitFor(() => has(reportKey("json", doomed, 5)));
    await call("POST", `/runs/${doomed}/commands`, { data: { id: "c1", commandType: "home" } }); // seq 6
    await waitFor(() => has(reportKey("json", doomed, 6)));
    assert.equal(await robot.stop("SIGKILL"), null);

    // While the app is down, the doomed run is unfinished: the next store open marks it interrupted (seq 7).
    robot = await spawnRobot(dataRoot, ["--report-debounce-ms", "100"]);
    try {
      await waitReady(robot);
      call = client(robot);
      await waitFor(() => has(reportKey("json", doomed, 7)));
      await waitFor(async () => !(await has(reportKey("json", doomed, 6))));
      assert.ok(await has(reportKey("json", kept, 4)), "the kept run's current report stays");
      assert.equal((await call("DELETE", `/runs/${doomed}`)).status, 200);
      await waitFor(async () => !(await has(reportKey("json", doomed, 7))));
      assert.ok(await has(reportKey("json", kept, 4)));
    } finally {
      await robot.stop();
    }
  });
});
