// kill -9 of a process running the sync engine at random moments (24 rounds), uploading over real HTTP to the
// ingest server, then a restart that finishes: every file reaches the server exactly once with the right hash,
// and no local file is ever deleted before the server holds it.
import { test } from "node:test";
import { crashRounds } from "./sync_crash_test_support.ts";

test("kill -9 of the sync engine's process at random moments (24 rounds): every file reaches the server exactly once", async () => {
  await crashRounds(new URL("./sync_crash_test_child.ts", import.meta.url), 24);
});
