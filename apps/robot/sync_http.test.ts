import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { client, withRobot } from "./robot_test_support.ts";

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

test("sync: finished capture files are uploaded to the directory target by the sync worker; status and sync now over HTTP", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    for (;;) {
      const files = (await call("GET", "/capture/files")).body.data as { finished: boolean }[];
      if (files.some((f) => f.finished)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const now = await call("POST", "/sync/now");
    assert.equal(now.status, 202);
    let status = now.body.data;
    while (status.uploadedFiles < 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await call("GET", "/sync/status")).body.data;
    }
    assert.equal(status.online, true);
    assert.ok(status.uploadedBytes > 0);
    assert.ok((await filesUnder(join(robot.dataRoot, "uploaded"))).length >= 1, "the target holds the uploaded file");
  }, ["--capture-file-age-ms", "300"]);
});

test("sync: turned off with --sync-target none, sync now answers 503 and the status says why", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    const now = await call("POST", "/sync/now");
    assert.equal(now.status, 503);
    assert.equal(now.body.errors[0].meta.code, "ROBOT_SYNC_UNAVAILABLE");
    const status = (await call("GET", "/sync/status")).body.data;
    assert.equal(status.online, false);
    assert.match(status.lastError.message, /turned off/);
  }, ["--sync-target", "none"]);
});
