/**
 * Crash-test child (not published): fills a new run store at argv[2] with `durability: "close"` (argv[3] runs of
 * argv[4] commands each), closes it, prints `closed`, and then waits to be killed.
 */
import { openRunStore } from "./mod.ts";

const [path, runsText, commandsText] = process.argv.slice(2);
if (!path) throw new Error("usage: bulk_load_test_child.ts <db path> <runs> <commands per run>");
const store = await openRunStore({ url: `file:${path}`, durability: "close" });
for (let run = 0; run < Number(runsText); run++) {
  await store.createRun({ id: `run-${run}` });
  const commands = Array.from({ length: Number(commandsText) }, (_, i) => ({ id: `c-${i}`, commandType: "aspirate", params: { volume: i } }));
  await store.appendCommands(`run-${run}`, commands);
  await store.finishRun(`run-${run}`, { status: "succeeded", errors: [] });
}
await store.close();
console.log("closed");
await new Promise(() => setInterval(() => {}, 1_000));
