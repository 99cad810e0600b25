// Crash-test child for render_cache.test.ts: renders into a cache over argv[2] and reports progress on stdout,
// then stalls so the parent can SIGKILL it at a known point. Mode "stream": after the first chunk of the output
// is on disk (mid-write). Mode "hang": while the renderer is still computing (before any output).
import process from "node:process";
import { createRenderCache, type Renderer } from "./mod.ts";

const [dir, mode] = process.argv.slice(2);
if (!dir || (mode !== "stream" && mode !== "hang")) throw new Error("usage: render_cache_test_child.ts <dir> stream|hang");

const stall = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 600_000));

const renderer: Renderer<{ runId: string }> = {
  name: "report",
  version: 1,
  contentType: "text/plain; charset=utf-8",
  render: async function* () {
    if (mode === "hang") {
      console.log("render-started");
      await stall();
    }
    yield "A".repeat(65_536);
    // The cache pulls the next chunk only after writing the previous one, so the first is on disk now.
    console.log("first-chunk-written");
    await stall();
    yield "B".repeat(65_536);
  },
};

const cache = await createRenderCache({ dir, renderers: [renderer] });
const input = { runId: "r1" };
console.log(`key ${cache.key(renderer, input)}`);
await cache.get(renderer, input);
console.log("finished");
