// Child for sync_crash.test.ts: runs the sync service (engine in a worker thread) against an ingest server and
// reports progress until it is killed. Args: captureDir url token bandwidthBytesPerSec (0 = unlimited).
import { readdir } from "node:fs/promises";
import { startSyncService } from "./mod.ts";

const [captureDir, url, token, bandwidth] = process.argv.slice(2) as [string, string, string, string];
const service = await startSyncService({
  captureDir,
  target: { kind: "http", url, token },
  concurrency: 3,
  scanIntervalMs: 20,
  backoff: { initialMs: 5, maxMs: 50 },
  ...(bandwidth === "0" ? {} : { bandwidthBytesPerSec: Number(bandwidth) }),
});
console.log("ready");
for (;;) {
  await service.syncNow();
  const left = (await readdir(captureDir)).filter((name) => name.endsWith(".mcap")).length;
  console.log(left === 0 ? "idle" : `left ${left}`);
  await new Promise((resolve) => setTimeout(resolve, 10));
}
