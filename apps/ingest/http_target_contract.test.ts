// The UploadTarget contract of @deckhand/sync, run against httpTarget talking to a real ingest server on loopback.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { httpTarget } from "@deckhand/sync";
import { uploadTargetContract } from "../../modules/sync/upload_target_contract_test_support.ts";
import { startIngestServer } from "./mod.ts";

uploadTargetContract("httpTarget + ingest server", async () => {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-ingest-"));
  let onPut: (() => void) | undefined;
  const server = await startIngestServer({
    host: "127.0.0.1", port: 0, dir, token: "contract-token",
    onRequest: (info) => {
      if (info.method === "PUT") onPut?.();
    },
  });
  return {
    target: httpTarget({ url: server.url, token: "contract-token" }),
    settled: () => new Promise<void>((resolve) => (onPut = resolve)),
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
