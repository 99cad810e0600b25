/**
 * Crash-test child (not published): opens the run store at argv[2] and writes forever: runs of command batches
 * of random sizes, finishing some runs. After each write resolves it prints an `ack` line; the parent kills it
 * with SIGKILL at a random moment and checks that everything acked is on disk and nothing is half there.
 *
 *   ready
 *   ack run <runId>                              createRun resolved
 *   ack append <runId> <batch> <size> <first>    appendCommands resolved (first = index of its first command)
 *   ack finish <runId>                           finishRun resolved
 */
import { openRunStore } from "./mod.ts";

const [path, seedText] = process.argv.slice(2);
if (!path) throw new Error("usage: run_store_test_child.ts <db path> <seed>");
let seed = Number(seedText ?? 1) >>> 0 || 1;
function random(): number {
  // xorshift32: reproducible from the seed the parent prints on failure.
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 0x1_0000_0000;
}

const store = await openRunStore({ url: `file:${path}`, durability: "process" });
console.log("ready");
for (let round = 0; ; round++) {
  const runId = `run-${seedText}-${round}`;
  await store.createRun({ id: runId });
  console.log(`ack run ${runId}`);
  const batches = 1 + Math.floor(random() * 8);
  for (let batch = 0; batch < batches; batch++) {
    const size = 1 + Math.floor(random() * 200);
    const commands = Array.from({ length: size }, (_, i) => ({
      id: `${runId}/${batch}/${i}`,
      commandType: "aspirate",
      status: "succeeded",
      batch,
      batchSize: size,
      params: { volume: i, note: "x".repeat(Math.floor(random() * 64)) },
    }));
    const { firstIndex } = await store.appendCommands(runId, commands);
    console.log(`ack append ${runId} ${batch} ${size} ${firstIndex}`);
  }
  if (random() < 0.5) {
    await store.finishRun(runId, { status: "succeeded", errors: [] });
    console.log(`ack finish ${runId}`);
  }
}
