// Child for sync_crash.test.ts: the sync engine (in this process) uploading to an ingest server until killed.
// Args: captureDir url token bandwidthBytesPerSec (0 = unlimited).
import { readdir } from "node:fs/promises";
import { createSyncEngine, httpTarget } from "@deckhand/sync";

const [captureDir, url, token, bandwidth] = process.argv.slice(2) as [string, string, string, string];
const engine = createSyncEngine({
  captureDir,
  target: httpTarget({ url, token }),
  concurrency: 3,
  scanIntervalMs: 20,
  backoff: { initialMs: 5, maxMs: 50 },
  ...(bandwidth === "0" ? {} : { bandwidthBytesPerSec: Number(bandwidth) }),
});
console.log("ready");
for (;;) {
  await engine.syncNow();
  const left = (await readdir(captureDir)).filter((name) => name.endsWith(".mcap")).length;
  console.log(left === 0 ? "idle" : `left ${left}`);
  await new Promise((resolve) => setTimeout(resolve, 10));
}
