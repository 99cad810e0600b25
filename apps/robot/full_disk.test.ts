// A full disk, for real: the robot's data root on a small tmpfs (we run as root; elsewhere the test is skipped
// and says why). Writes answer 507 Insufficient Storage (not 500) while full, reads are served, and writes are
// accepted again once space returns, without a restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, open, rm, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { client, spawnRobot, waitReady } from "./robot_test_support.ts";

function tmpfsUnavailable(): string | undefined {
  if (process.platform !== "linux") return `not Linux (${process.platform}): no tmpfs to mount`;
  if (process.getuid?.() !== 0) return "not running as root: mounting a tmpfs needs root";
  return undefined;
}

/** Writes filler files until the file system holding `dir` is full (ENOSPC). */
async function fill(dir: string): Promise<void> {
  const block = Buffer.alloc(1 << 20, 7);
  for (let i = 0; ; i++) {
    const handle = await open(join(dir, `filler-${i}`), "w");
    try {
      for (let j = 0; j < 64; j++) await handle.write(block);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
      // Take the last bytes too: small writes until nothing fits.
      for (let size = 1 << 16; size >= 1;) {
        try {
          await handle.write(Buffer.alloc(size, 7));
        } catch (inner) {
          if ((inner as NodeJS.ErrnoException).code !== "ENOSPC") throw inner;
          size >>= 1;
        }
      }
      return;
    } finally {
      await handle.close();
    }
  }
}

const skip = tmpfsUnavailable();
test("a full disk answers 507 to writes, reads go on, and writes recover once space returns", { skip: skip ?? false }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-robot-full-"));
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=96m,mode=0755", "tmpfs", dir], { encoding: "utf8" });
  if (mounted.status !== 0) {
    await rmdir(dir);
    assert.fail(`mount -t tmpfs failed although running as root: ${mounted.stderr}`);
  }
  const filler = join(dir, "filler");
  try {
    const robot = await spawnRobot(join(dir, "root"), ["--sync-target", "none"]);
    try {
      await waitReady(robot);
      const call = client(robot);
      const run = await call("POST", "/runs", { data: {} });
      assert.equal(run.status, 201, run.text);
      const runId = run.body.data.id as string;
      assert.equal((await call("POST", `/runs/${runId}/actions`, { data: { actionType: "play" } })).status, 201);
      let n = 0;
      const append = () => call("POST", `/runs/${runId}/commands`, { data: [{ id: `c${++n}`, commandType: "aspirate", params: { pad: "x".repeat(4000) } }] });
      assert.equal((await append()).status, 201);
      await mkdir(filler);
      await fill(filler);
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const answer = await append();
        statuses.push(answer.status);
        if (answer.status !== 201) {
          assert.equal(answer.body.errors[0].id, "InsufficientStorage", answer.text);
          assert.equal(answer.body.errors[0].meta.code === "SQLITE_FULL" || answer.body.errors[0].meta.code === "ENOSPC", true, answer.text);
        }
        const read = await call("GET", `/runs/${runId}/commands?pageLength=5`);
        assert.equal(read.status, 200, read.text);
      }
      assert.ok(statuses.includes(507), `writes on a full disk were answered ${statuses.join(",")}`);
      assert.deepEqual(statuses.filter((s) => s !== 201 && s !== 507), []);
      await rm(filler, { recursive: true, force: true });
      const after = await append();
      assert.equal(after.status, 201, `a write once space returned: ${after.text}`);
      const page = await call("GET", `/runs/${runId}/commands?pageLength=1`);
      assert.equal(page.body.data[0].id, `c${n}`);
    } finally {
      await robot.stop("SIGTERM");
    }
  } finally {
    const unmounted = spawnSync("umount", ["-l", dir], { encoding: "utf8" });
    if (unmounted.status === 0) await rmdir(dir);
    else console.error(`umount ${dir} failed: ${unmounted.stderr}`);
  }
});
