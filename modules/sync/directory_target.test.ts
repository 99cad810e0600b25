import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { directoryTarget } from "./mod.ts";
import { uploadTargetContract } from "./upload_target_contract_test_support.ts";

uploadTargetContract("directoryTarget", async () => {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-sync-dir-"));
  return { target: directoryTarget(dir), close: () => rm(dir, { recursive: true, force: true }) };
});
