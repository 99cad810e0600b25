// kill -9 of the sync service's process (engine in its worker thread) at random moments, then a restart that
// finishes: every file reaches the ingest server exactly once, nothing deleted unconfirmed. Fewer rounds than the
// engine's own crash test (apps/ingest/sync_crash.test.ts, 24 rounds): each start here also boots a worker thread.
import { test } from "node:test";
import { crashRounds } from "../ingest/sync_crash_test_support.ts";

test("kill -9 of the sync service's process at random moments (6 rounds): every file reaches the server exactly once", async () => {
  await crashRounds(new URL("./sync_crash_test_child.ts", import.meta.url), 6);
});
