// Test support: start `moto_server` (Python moto, an S3 implementation) on a free loopback port, create a bucket,
// and stop it afterwards. `undefined` (with the reason) where moto_server is not installed.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

/** A running moto server. */
export interface MotoServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Why moto tests skip here, or `undefined` when moto_server is available. */
export function motoUnavailable(): string | undefined {
  const found = spawnSync("sh", ["-c", "command -v moto_server"], { encoding: "utf8" });
  return found.status === 0 ? undefined : "moto_server is not installed (pip install 'moto[server]'), so the S3 tests cannot run";
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts moto_server and waits until it answers. */
export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const child: ChildProcess = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await fetch(`${endpoint}/moto-api/`).then((r) => r.body?.cancel().then(() => true), () => false);
    if (up) break;
    if (child.exitCode !== null || i > 300) {
      child.kill("SIGKILL");
      throw new Error(`moto_server did not start on port ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    endpoint,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Creates `bucket` on the moto server. */
export async function createBucket(endpoint: string, bucket: string): Promise<void> {
  const client = new S3Client({
    endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
}
