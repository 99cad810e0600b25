// Finished capture files are verified at start: a bit-flipped one is set aside in capture/corrupt/ (with a note),
// reported (/health, /capture/files, /metrics, the log) and never synced; the good ones are synced as before.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { client, spawnRobot, waitReady, withDataRoot } from "./robot_test_support.ts";

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** The SHA-256 of every file under `dir` (the directory target names files its own way). */
async function hashesUnder(dir: string): Promise<Set<string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  const hashes = new Set<string>();
  for (const e of entries) if (e.isFile()) hashes.add(sha256(await readFile(join(e.parentPath, e.name))));
  return hashes;
}

test("a bit-flipped finished capture file is found at start, set aside, reported and not synced", { timeout: 180_000 }, async () => {
  await withDataRoot(async (dataRoot) => {
    const captureDir = join(dataRoot, "capture");
    // First run without sync: finished files stay in the capture directory.
    const first = await spawnRobot(dataRoot, ["--sync-target", "none", "--capture-file-age-ms", "300"]);
    try {
      await waitReady(first);
      const call = client(first);
      for (;;) {
        const files = (await call("GET", "/capture/files")).body.data as { finished: boolean }[];
        if (files.filter((f) => f.finished).length >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      assert.equal(await first.stop("SIGTERM"), 0);
    }
    const finished = (await readdir(captureDir)).filter((n) => n.endsWith(".mcap")).sort();
    assert.ok(finished.length >= 2, finished.join(" "));
    const victim = finished[0]!;
    const goodHashes = await Promise.all(finished.slice(1).map(async (name) => sha256(await readFile(join(captureDir, name)))));
    const bytes = await readFile(join(captureDir, victim));
    bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
    await writeFile(join(captureDir, victim), bytes);
    const flippedHash = sha256(bytes);

    const uploaded = join(dataRoot, "uploaded-2");
    const second = await spawnRobot(dataRoot, ["--sync-target", uploaded, "--capture-file-age-ms", "60000"]);
    try {
      await waitReady(second);
      const call = client(second);
      const health = (await call("GET", "/health")).body;
      assert.equal(health.capture.damagedFiles.length, 1, JSON.stringify(health.capture));
      assert.equal(health.capture.damagedFiles[0].file, victim);
      assert.equal(health.capture.damagedFiles[0].movedTo, join("corrupt", victim));
      assert.ok(health.capture.verifiedFiles >= finished.length - 1);
      const files = (await call("GET", "/capture/files")).body;
      assert.ok(!files.data.some((f: { name: string }) => f.name === victim), "no longer listed as a capture file");
      assert.deepEqual(files.meta.damaged.map((d: { file: string }) => d.file), [victim]);
      assert.match((await call("GET", "/metrics")).text, /^deckhand_capture_damaged_files 1$/m);
      assert.match(second.output(), new RegExp(`capture file ${victim.replace(/\./g, "\\.")} is damaged`));
      assert.ok((await readdir(join(captureDir, "corrupt"))).includes(victim));
      assert.equal((await call("POST", "/sync/now")).status, 202);
      for (;;) {
        const status = (await call("GET", "/sync/status")).body.data;
        if (status.uploadedFiles >= finished.length - 1 && status.queued === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const target = await hashesUnder(uploaded);
      assert.ok(!target.has(flippedHash), "the damaged file was not synced");
      for (const hash of goodHashes) assert.ok(target.has(hash), "every good file was synced");
    } finally {
      assert.equal(await second.stop("SIGTERM"), 0);
    }
  });
});
