import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { fillDisk, withTmpfs } from "@deckhand/crash-test";
import { createSyncEngine, directoryTarget } from "./mod.ts";
import { withDir, writeRandomFile } from "./temp_dir_test_support.ts";

// A real full disk under the directory target: a 2 MiB tmpfs, mounted for the test (CI runs as root). Elsewhere
// the test is skipped, saying why.

function name(n: number): string {
  return `temp_20261130T000000000Z_${String(n).padStart(10, "0")}.mcap`;
}

test("a full target disk: uploads fail with ENOSPC and are retried, no file is deleted or failed, and all arrive once space is freed", async (t) => {
  await withTmpfs(t, async (mount) => {
    await withDir(async (dir) => {
      const capture = join(dir, "capture");
      await mkdir(capture);
      // Six files of 300 KB (1.8 MB): more than the free space once the filler is in, less than the whole disk.
      const hashes = new Map<string, string>();
      for (let n = 1; n <= 6; n++) hashes.set(name(n), await writeRandomFile(join(capture, name(n)), 300_000));
      const store = join(mount, "store");
      const filler = join(mount, "filler");
      await fillDisk(filler, 1_500_000);
      const engine = createSyncEngine({ captureDir: capture, target: directoryTarget(store), scanIntervalMs: 20, backoff: { initialMs: 2, maxMs: 20 } });
      // Polled, not syncNow(): one worker (the default on 2 cores) retries the file that does not fit, and
      // syncNow() waits for an attempt at every file (noted on the issue).
      const until = async (done: () => boolean, what: string): Promise<void> => {
        const deadline = Date.now() + 20_000;
        while (!done()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(engine.status())}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      try {
        await until(() => engine.status().retries >= 3, "ENOSPC retries");
        const full = engine.status();
        assert.equal(full.failed, 0, "a full disk is transient: nothing goes to failed/");
        assert.ok(full.uploadedFiles < 6, `not everything fit (${full.uploadedFiles} uploaded)`);
        assert.match(full.lastError?.code ?? "", /ENOSPC/);
        const stored = await readdir(join(store, "objects"));
        const left = await readdir(capture);
        assert.equal(stored.length + left.length, 6, "each file is either confirmed at the target or still here");
        for (const local of left) assert.ok(!stored.includes(hashes.get(local)!), `${local} is kept only while unconfirmed`);
        // Space comes back: everything arrives, once, with its hash, and the local files go.
        await rm(filler);
        await until(() => engine.status().uploadedFiles === 6, "every file after space was freed");
      } finally {
        await engine.close();
      }
      assert.deepEqual((await readdir(join(store, "objects"))).sort(), [...hashes.values()].sort());
      assert.deepEqual(await readdir(capture), []);
      assert.equal(engine.status().failed, 0);
    });
  });
});
