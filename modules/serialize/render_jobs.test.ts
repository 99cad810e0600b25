import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AbortError } from "@deckhand/pipeline";
import { createRenderCache, InvalidOptionsError, type RenderCache, type Renderer, type RenderJob, renderJobs } from "./mod.ts";

let dir = "";
let cache: RenderCache | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "deckhand-"));
});

afterEach(async () => {
  await cache?.close();
  cache = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A renderer that records how many renders overlap, yielding to the event loop so they can. */
function overlapRenderer() {
  const state = { running: 0, maxRunning: 0, calls: 0 };
  const renderer: Renderer<{ runId: string }> = {
    name: "run-report",
    version: 1,
    contentType: "text/plain",
    async render({ runId }) {
      state.calls++;
      state.running++;
      state.maxRunning = Math.max(state.maxRunning, state.running);
      await new Promise((resolve) => setImmediate(resolve));
      state.running--;
      if (runId.startsWith("bad")) throw new Error(`cannot render ${runId}`);
      return `report ${runId}`;
    },
  };
  return { renderer, state };
}

describe("renderJobs", () => {
  test("renders every job at most `concurrency` at a time, once per key, and counts ready and failed", async () => {
    const { renderer, state } = overlapRenderer();
    cache = await createRenderCache({ dir, renderers: [renderer] });
    const ids = ["r1", "r2", "r3", "r4", "r5", "r6", "bad1", "r1", "r2", "bad1"];
    const jobs: RenderJob<{ runId: string }>[] = ids.map((runId) => ({ renderer, input: { runId } }));
    const result = await renderJobs(cache, jobs, { concurrency: 3 });
    assert.equal(result.ready + result.failed, ids.length);
    assert.equal(result.failed, 2);
    assert.equal(result.failures[0]?.error.message, "cannot render bad1");
    assert.equal(result.keys.length, 7, "duplicate jobs share one key");
    assert.ok(state.maxRunning <= 3 && state.maxRunning >= 2, `renders overlapped ${state.maxRunning} at a time`);
    assert.equal(state.calls, 7, "a key already rendered (or in backoff) is not rendered again");

    const expected = new Set(["r1", "r2", "r3", "r4", "r5", "r6", "bad1"].map((runId) => cache!.key(renderer, { runId })));
    assert.deepEqual(new Set(result.keys), expected);
    const report = await cache.gc(result.keys);
    assert.equal(report.removed, 0, "the keys are the live set for gc");
  });

  test("keys from a renderJobs run let gc drop outputs of runs that no longer exist", async () => {
    const { renderer } = overlapRenderer();
    cache = await createRenderCache({ dir, renderers: [renderer] });
    await renderJobs(cache, [{ renderer, input: { runId: "old" } }, { renderer, input: { runId: "kept" } }]);
    const current = await renderJobs(cache, (async function* () {
      yield { renderer: "run-report", input: { runId: "kept" } };
    })());
    assert.equal((await cache.gc(current.keys)).removed, 1);
    assert.equal((await readdir(dir)).filter((name) => name.endsWith(".out")).length, 1);
  });

  test("an aborted signal stops the run with the pipeline's AbortError", async () => {
    const { renderer } = overlapRenderer();
    cache = await createRenderCache({ dir, renderers: [renderer] });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(renderJobs(cache, [{ renderer, input: { runId: "x" } }], { signal: controller.signal }), AbortError);
  });

  test("a concurrency below 1 is refused", async () => {
    const { renderer } = overlapRenderer();
    cache = await createRenderCache({ dir, renderers: [renderer] });
    await assert.rejects(renderJobs(cache, [], { concurrency: 0 }), InvalidOptionsError);
  });
});
