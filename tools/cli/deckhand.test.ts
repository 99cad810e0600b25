import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const CLI = fileURLToPath(new URL("./deckhand.ts", import.meta.url));

function deckhand(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function treeHash(dir: string): Promise<string> {
  const hash = createHash("sha256");
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  for (const path of files.map((e) => join(e.parentPath, e.name)).sort()) hash.update(path).update(await readFile(path));
  return hash.digest("hex");
}

test("deckhand v1-fixture, migrate --dry-run (changes nothing), migrate, and migrate again", async () => {
  const root = await mkdtemp(join(tmpdir(), "deckhand-cli-"));
  try {
    const fixture = await deckhand("v1-fixture", "--root", root, "--runs", "12", "--commands", "20", "--corrupt", "0.5", "--seed", "4");
    assert.equal(fixture.code, 0, fixture.stderr);
    assert.match(fixture.stdout, /^wrote 12 runs \(240 commands\)/);
    assert.deepEqual(await readdir(join(root, "v1")), ["robot.db"], "like a field robot's v1: no completion marker");

    const before = await treeHash(root);
    const dry = await deckhand("migrate", "--root", root, "--dry-run", "--workers", "1");
    assert.equal(dry.code, 0, dry.stderr);
    assert.doesNotMatch(dry.stdout, /\r/, "not a terminal: plain lines, no progress bar");
    assert.match(dry.stdout, /^migrate v1->v2: 12\/12 \(100%\), \d+ quarantined/m);
    assert.match(dry.stdout, /dry run: would migrate v1 -> v2: \d+ records, \d+ quarantined/);
    assert.match(dry.stdout, /would quarantine \d+ \(truncated\)/);
    assert.equal(await treeHash(root), before, "the dry run changed nothing");

    const real = await deckhand("migrate", "--root", root, "--workers", "1", "--json");
    assert.equal(real.code, 0, real.stderr);
    const result = JSON.parse(real.stdout.slice(real.stdout.indexOf("{"))) as { dir: string; migrated: number; quarantined: number };
    assert.equal(result.dir, join(root, "v2"));
    assert.equal(result.migrated + result.quarantined, 12);
    assert.deepEqual((await readdir(root)).sort(), ["v1", "v2"]);

    const again = await deckhand("migrate", "--root", root);
    assert.match(again.stdout, /v2 is already complete; nothing to do/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("usage errors exit 2 with the command's help", async () => {
  const missing = await deckhand("migrate");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--root is required/);
  const unknown = await deckhand("migrate", "--root", "/tmp/x", "--workers", "0");
  assert.equal(unknown.code, 2);
  const command = await deckhand("fly");
  assert.equal(command.code, 2);
  assert.match(command.stderr, /unknown command "fly"/);
  assert.match(command.stderr, /migrate .* v1-fixture/s);
});
