/**
 * @deckhand/sync benchmarks, all on loopback: MB/s for large files and files/s for 4 KB files, from a capture
 * directory into each target through the sync engine (scan, one read per file hashing SHA-256 while sending,
 * confirmation by hash and size, local delete), each against a plain loop over the same files:
 * - directory target vs a `copyFile` loop into a directory (no hashing, no fsync);
 * - the ingest server (`httpTarget` -> `apps/ingest`) vs a loop of `fetch` PUTs to a bare `node:http` server that
 *   streams each body to a file (no hashing, no resume, no confirmation); both servers run in a process of their
 *   own (`servers_child.ts`), as a workstation's ingest server does, so each side has its own thread;
 * - moto_server (`s3Target`) vs a loop of `PutObject` calls (SDK defaults) of the same files.
 * Issue goals (ingest): at least 200 MB/s and 1,000 files/s; printed, not enforced.
 * Full mode: one 64 MB file and 200 x 4 KB files; quick mode: 2 x 8 MB and 100 x 4 KB (the group names say so).
 * The engine uploads 4 KB files with concurrency 16 (the plain loops are sequential): each small upload mostly waits
 * on the target's fsync, so more in flight hides that wait (the engine's default, cores/2, suits large files and a
 * robot's CPU budget; a fleet of small files is configured up). Large files go one at a time.
 * Metric: the sync process's peak RSS growth while the engine uploads one large file to the ingest server.
 * Each iteration re-links the same files into the capture directory and bumps their mtime (a new upload key,
 * so no upload is skipped as already done); this happens outside the measured time.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, link, mkdir, mkdtemp, open, rm, stat, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { startIngestServer } from "@deckhand/ingest";
import { createSyncEngine, directoryTarget, httpTarget, s3Target, type UploadTarget } from "@deckhand/sync";
import { createBucket, motoUnavailable, startMoto } from "../../modules/sync/moto_server_test_support.ts";
import { type BenchGroup, type BenchMetric, defineSuite } from "../harness.ts";

interface FileSet {
  readonly label: string;
  readonly master: string;
  readonly names: readonly string[];
  readonly bytes: number;
  readonly small: boolean;
}

async function makeFiles(root: string, label: string, count: number, size: number, small: boolean): Promise<FileSet> {
  const master = join(root, `master-${label.replace(/\W+/g, "-")}`);
  await mkdir(master, { recursive: true });
  const names: string[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `bench_20261122T000000000Z_${String(i).padStart(10, "0")}.mcap`;
    // Written 1 MB at a time, so making a large file does not itself raise the process's memory.
    const handle = await open(join(master, name), "w");
    for (let at = 0; at < size; at += 1 << 20) await handle.write(randomBytes(Math.min(1 << 20, size - at)));
    await handle.close();
    names.push(name);
  }
  return { label, master, names, bytes: count * size, small };
}

let stamp = Date.now() / 1000 - 1_000_000;

/** Hard-links the set's files into `capture` with a fresh mtime (outside the measured time). */
async function stage(set: FileSet, capture: string): Promise<void> {
  await rm(capture, { recursive: true, force: true });
  await mkdir(capture, { recursive: true });
  stamp += 1;
  for (const name of set.names) {
    await link(join(set.master, name), join(capture, name));
    await utimes(join(capture, name), stamp, stamp);
  }
}

async function engineRun(capture: string, target: UploadTarget, small: boolean, count: number): Promise<void> {
  const engine = createSyncEngine({ captureDir: capture, target, concurrency: small ? 16 : 1, scanIntervalMs: 60_000 });
  await engine.syncNow();
  const status = engine.status();
  await engine.close();
  if (status.uploadedFiles !== count) throw new Error(`engine uploaded ${status.uploadedFiles} of ${count} files: ${JSON.stringify(status.lastError)}`);
}

function groupFor(name: string, set: FileSet, capture: string, target: UploadTarget, baseline: { name: string; fn: () => Promise<void> }, goal?: number, teardown?: () => Promise<void>): BenchGroup {
  const units = set.small ? set.names.length : set.bytes / 1e6;
  const unit = set.small ? "files" : "MB";
  return {
    name: `${name}: ${set.label}`,
    baseline: { name: baseline.name, fn: baseline.fn, unitsPerOp: units, unit },
    tasks: [{
      name: `sync engine -> ${name}`,
      fn: () => engineRun(capture, target, set.small, set.names.length),
      beforeEach: () => stage(set, capture),
      unitsPerOp: units,
      unit,
    }],
    ...(goal ? { goals: { [`sync engine -> ${name}`]: { min: goal } } } : {}),
    ...(teardown ? { teardown } : {}),
  };
}

/** Starts `servers_child.ts` (the ingest server and the bare sink) and reads their URLs. */
async function startServers(dir: string): Promise<{ ingest: string; sink: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./servers_child.ts", import.meta.url)), dir], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const urls = new Map<string, string>();
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the bench's server process exited (code ${code}) before it was ready`)));
    lines.on("line", (line) => {
      const [name, url] = line.split(" ");
      if (name === "ready") resolve();
      else if (name && url) urls.set(name, url);
    });
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    ingest: urls.get("ingest")!,
    sink: urls.get("sink")!,
    stop: async () => {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

let root = "";
const cleanups: (() => Promise<void>)[] = [];

export default defineSuite({
  name: "sync",
  groups: async ({ quick }) => {
    root = await mkdtemp(join(tmpdir(), "deckhand-bench-sync-"));
    const big = quick ? await makeFiles(root, "2 x 8 MB files", 2, 8 << 20, false) : await makeFiles(root, "1 x 64 MB file", 1, 64 << 20, false);
    const small = await makeFiles(root, quick ? "100 x 4 KB files" : "200 x 4 KB files", quick ? 100 : 200, 4096, true);
    const capture = join(root, "capture");
    const groups: BenchGroup[] = [];

    // Directory target vs a copyFile loop.
    for (const set of [big, small]) {
      const out = join(root, "copy-out");
      const store = join(root, `dir-store-${set.small ? "small" : "big"}`);
      groups.push(groupFor("directory", set, capture, directoryTarget(store), {
        name: "copyFile loop",
        fn: async () => {
          await mkdir(out, { recursive: true });
          for (const name of set.names) await copyFile(join(set.master, name), join(out, name));
        },
      }));
    }

    // Ingest server vs fetch PUTs to a bare streaming file sink, both served by a process of their own.
    const servers = await startServers(root);
    cleanups.push(() => servers.stop());
    const sinkUrl = servers.sink;
    for (const set of [big, small]) {
      groups.push(groupFor("ingest server", set, capture, httpTarget({ url: servers.ingest }), {
        name: "fetch PUT loop to a bare file sink",
        fn: async () => {
          for (const name of set.names) {
            const path = join(set.master, name);
            const body = createReadStream(path) as unknown as ReadableStream<Uint8Array>;
            const response = await fetch(`${sinkUrl}/${name}`, {
              method: "PUT", body, duplex: "half", headers: { "content-length": String((await stat(path)).size) },
            } as RequestInit);
            await response.arrayBuffer();
            if (response.status !== 201) throw new Error(`sink answered ${response.status}`);
          }
        },
      }, set.small ? 0 : undefined));
    }

    // moto_server vs PutObject.
    const skip = motoUnavailable();
    if (skip) console.log(`sync bench: moto groups skipped: ${skip}`);
    else {
      const moto = await startMoto();
      cleanups.push(() => moto.stop());
      await createBucket(moto.endpoint, "bench-sync");
      await createBucket(moto.endpoint, "bench-plain");
      const client = new S3Client({
        endpoint: moto.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
      });
      const target = s3Target({
        endpoint: moto.endpoint, bucket: "bench-sync", region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
      });
      for (const set of [big, small]) {
        groups.push(groupFor("moto (S3)", set, capture, target, {
          name: "PutObject loop",
          fn: async () => {
            for (const name of set.names) {
              const path = join(set.master, name);
              await client.send(new PutObjectCommand({
                Bucket: "bench-plain", Key: name, Body: createReadStream(path), ContentLength: (await stat(path)).size,
              }));
            }
          },
        }));
      }
    }
    groups[groups.length - 1] = {
      ...groups[groups.length - 1]!,
      teardown: async () => {
        for (const cleanup of cleanups.splice(0)) await cleanup();
      },
    };
    return groups;
  },
  metrics: async ({ quick }) => {
    const metricsRoot = await mkdtemp(join(tmpdir(), "deckhand-bench-sync-rss-"));
    try {
      const size = (quick ? 32 : 256) << 20;
      const set = await makeFiles(metricsRoot, "rss", 1, size, false);
      const capture = join(metricsRoot, "capture");
      await stage(set, capture);
      const ingest = await startIngestServer({ host: "127.0.0.1", port: 0, dir: join(metricsRoot, "ingest") });
      const before = process.memoryUsage().rss;
      let peak = before;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
      await engineRun(capture, httpTarget({ url: ingest.url }), false, 1);
      clearInterval(timer);
      await ingest.close();
      const metrics: BenchMetric[] = [{
        name: `peak RSS growth uploading one ${size >> 20} MB file (engine + ingest in one process)`,
        value: (peak - before) / 1e6,
        unit: "MB",
        note: "flat in the file size: 1 MB read chunks, streamed bodies",
      }];
      return metrics;
    } finally {
      await rm(metricsRoot, { recursive: true, force: true });
      await rm(root, { recursive: true, force: true });
    }
  },
});
