import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { smallFilesystemUnavailable, withSmallFilesystem } from "./small_filesystem.ts";

const unavailable = smallFilesystemUnavailable();

test("a real tmpfs fills up (ENOSPC), gets its space back, and is always unmounted", { skip: unavailable ?? false }, async () => {
  let mountPoint = "";
  const outcome = await withSmallFilesystem({ sizeBytes: 4 << 20 }, async (fs) => {
    mountPoint = fs.dir;
    assert.ok(readFileSync("/proc/mounts", "utf8").includes(` ${fs.dir} tmpfs `), "mounted as tmpfs");
    const left = await fs.fill(0);
    assert.ok(left < 64 * 1024, `nearly nothing left (${left})`);
    await assert.rejects(writeFile(join(fs.dir, "x"), new Uint8Array(256 * 1024)), { code: "ENOSPC" });
    await fs.release();
    assert.ok((await fs.freeBytes()) > 3 << 20);
    await writeFile(join(fs.dir, "x"), new Uint8Array(256 * 1024));
    assert.ok((await fs.fill(1 << 20)) <= 1 << 20);
    return "done";
  });
  assert.deepEqual(outcome, { ran: true, kind: "tmpfs", value: "done" });
  assert.ok(!readFileSync("/proc/mounts", "utf8").includes(` ${mountPoint} `), "unmounted");
  assert.ok(!existsSync(mountPoint), "mount point removed");
});

test("the filesystem is unmounted even when the body throws", { skip: unavailable ?? false }, async () => {
  let mountPoint = "";
  await assert.rejects(withSmallFilesystem({ sizeBytes: 1 << 20 }, async (fs) => {
    mountPoint = fs.dir;
    throw new Error("boom");
  }), /boom/);
  assert.ok(!readFileSync("/proc/mounts", "utf8").includes(` ${mountPoint} `));
});
