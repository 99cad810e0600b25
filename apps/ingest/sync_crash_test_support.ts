// Test support: kill -9 a sync process (a child running the engine, or the service with its worker thread) at
// random moments, then let a last one finish: in the end every file is at the ingest server exactly once with the
// right hash, and after no kill was a local file gone that the server did not hold.
// The child takes: captureDir url token bandwidthBytesPerSec (0 = unlimited), prints "ready" once syncing and
// "idle" once the capture directory holds no finished file.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnTypeScript } from "@deckhand/crash-test";
import { startIngestServer } from "./mod.ts";

/** Runs `rounds` kill -9 rounds of `child`, then a final run to completion, checking the invariants. */
export async function crashRounds(child: URL, rounds: number): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "deckhand-sync-crash-"));
  const capture = join(root, "capture");
  const store = join(root, "store");
  await mkdir(capture);
  const server = await startIngestServer({ host: "127.0.0.1", port: 0, dir: store, token: "crash" });
  const expected = new Map<string, string>(); // file name -> sha256
  let next = 1;
  const addFiles = async (count: number) => {
    for (let i = 0; i < count; i++, next++) {
      const size = next % 5 === 0 ? (2 << 20) + next : 2000 + next * 3001;
      const bytes = randomBytes(size);
      const name = `crash_20261122T000000000Z_${String(next).padStart(10, "0")}.mcap`;
      await writeFile(join(capture, name), bytes);
      expected.set(name, createHash("sha256").update(bytes).digest("hex"));
    }
  };
  const objectsHeld = async () => new Set(existsSync(join(store, "objects")) ? await readdir(join(store, "objects")) : []);
  /** No local file is gone unless the server holds its object. */
  const checkNothingDeletedUnconfirmed = async (round: number) => {
    const local = new Set(await readdir(capture));
    const held = await objectsHeld();
    for (const [name, sha] of expected) {
      if (!local.has(name)) assert.ok(held.has(sha), `round ${round}: ${name} was deleted but the server does not hold ${sha}`);
    }
    for (const sha of held) assert.ok([...expected.values()].includes(sha), `round ${round}: unexpected object ${sha}`);
  };
  try {
    await addFiles(20);
    for (let round = 1; round <= rounds; round++) {
      const running = spawnTypeScript(child, [capture, server.url, "crash", String(20 << 20)]);
      await running.waitForLine((line) => line === "ready");
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 250)));
      await running.kill();
      await checkNothingDeletedUnconfirmed(round);
      await addFiles(2);
    }
    const final = spawnTypeScript(child, [capture, server.url, "crash", "0"]);
    await final.waitForLine((line) => line === "idle");
    await final.kill();
    await checkNothingDeletedUnconfirmed(rounds + 1);
    assert.deepEqual((await readdir(capture)).filter((n) => n.endsWith(".mcap")), []);
    const held = [...(await objectsHeld())].sort();
    assert.deepEqual(held, [...new Set(expected.values())].sort(), "every file exactly once");
    for (const sha of held) {
      const actual = createHash("sha256").update(await readFile(join(store, "objects", sha))).digest("hex");
      assert.equal(actual, sha, "each object holds the bytes its name promises");
    }
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}
