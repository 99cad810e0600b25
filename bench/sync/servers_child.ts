/**
 * The bench's server process (not a suite): the ingest server and the bare file sink that the `fetch` baseline
 * talks to, in a process of their own as on a real workstation, so the robot side (the sync engine, or the plain
 * loop) and the receiving side each have a core, and neither is timed on the other's thread.
 *
 *   node --import tsx bench/sync/servers_child.ts <root>
 *
 * Prints `ingest <url>` and `sink <url>`, then `ready`; exits when its stdin closes (the bench ended or died).
 */
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { startIngestServer } from "@deckhand/ingest";

const root = process.argv[2];
if (!root) throw new Error("usage: servers_child.ts <root>");
const ingest = await startIngestServer({ host: "127.0.0.1", port: 0, dir: join(root, "ingest") });
const sinkDir = join(root, "sink");
await mkdir(sinkDir, { recursive: true });
let sinkSeq = 0;
const sink = createServer((req, res) => {
  void pipeline(req, createWriteStream(join(sinkDir, `f${sinkSeq++ % 1000}`))).then(() => {
    res.writeHead(201).end();
  }, (error: Error) => res.writeHead(500).end(error.message));
});
await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
console.log(`ingest ${ingest.url}`);
console.log(`sink http://127.0.0.1:${(sink.address() as { port: number }).port}`);
console.log("ready");
process.stdin.resume();
process.stdin.on("close", () => {
  sink.closeAllConnections();
  sink.close();
  void ingest.close().then(() => process.exit(0));
});
