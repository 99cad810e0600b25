import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnTypeScript } from "@deckhand/crash-test";
import {
  contentHash,
  createRenderCache,
  InvalidOptionsError,
  NotJsonError,
  type RenderCache,
  RenderCacheClosedError,
  type Renderer,
  type RenderResult,
  UnknownRendererError,
} from "./mod.ts";

const text = (body: Uint8Array): string => new TextDecoder().decode(body);

/** A clock the test moves by hand, so backoffs are checked without sleeping. */
function manualClock(start = 1_000_000): { now(): number; advance(ms: number): void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

/** A renderer that counts its calls and can be held open until the test releases it. */
function countingRenderer(name = "report", version: string | number = 1) {
  let release: () => void = () => undefined;
  let gate: Promise<void> | undefined;
  const renderer = {
    name,
    version,
    contentType: "text/plain; charset=utf-8",
    calls: 0,
    fail: undefined as Error | undefined,
    hold(): void {
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    release(): void {
      release();
      gate = undefined;
    },
    async render(input: { runId: string }): Promise<string> {
      renderer.calls++;
      if (gate) await gate;
      if (renderer.fail) throw renderer.fail;
      return `report for ${input.runId} by ${name} v${version}`;
    },
  };
  return renderer;
}

let dir = "";
const caches: RenderCache[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "deckhand-"));
});

afterEach(async () => {
  for (const cache of caches.splice(0)) await cache.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(renderers: readonly Renderer<never>[], clock = manualClock()): Promise<RenderCache> {
  const cache = await createRenderCache({ dir, renderers, clock });
  caches.push(cache);
  return cache;
}

describe("createRenderCache", () => {
  test("get renders once, keys by contentHash of name, version and input, and serves later gets from disk", async () => {
    const renderer = countingRenderer();
    const cache = await open([renderer]);
    const input = { runId: "r1" };
    const first = await cache.get(renderer, input);
    assert.equal(first.status, "ready");
    assert.equal(first.key, contentHash({ name: "report", version: 1, input }));
    assert.equal(first.key, cache.key(renderer, input));
    assert.equal(first.contentType, "text/plain; charset=utf-8");
    assert.equal(first.status === "ready" && text(first.body), "report for r1 by report v1");
    const second = await cache.get("report", { runId: "r1" });
    assert.equal(second.status === "ready" && text(second.body), "report for r1 by report v1");
    assert.equal(renderer.calls, 1);

    const reopened = await open([renderer]);
    const third = await reopened.get(renderer, input);
    assert.equal(third.status, "ready");
    assert.equal(renderer.calls, 1, "a fresh cache over the same directory serves the stored output");
    assert.equal(await readFile(join(dir, `${first.key}.out`), "utf8"), "report for r1 by report v1");
  });

  test("50 concurrent gets and statuses share one render", async () => {
    const renderer = countingRenderer();
    renderer.hold();
    const cache = await open([renderer]);
    const gets = Array.from({ length: 50 }, () => cache.get(renderer, { runId: "same" }));
    const statuses = await Promise.all(Array.from({ length: 10 }, () => cache.status(renderer, { runId: "same" })));
    assert.deepEqual(new Set(statuses.map((s) => s.status)), new Set(["rendering"]));
    renderer.release();
    const results = await Promise.all(gets);
    assert.equal(renderer.calls, 1);
    assert.ok(results.every((r) => r.status === "ready" && text(r.body) === "report for same by report v1"));
    assert.equal(new Set(results.map((r) => r.key)).size, 1);
    assert.equal((await cache.stats()).renders, 1);
  });

  test("status answers rendering, then ready, without waiting for the render", async () => {
    const renderer = countingRenderer();
    renderer.hold();
    const cache = await open([renderer]);
    const pending = await cache.status(renderer, { runId: "r2" });
    assert.equal(pending.status, "rendering");
    assert.equal(pending.key, cache.key(renderer, { runId: "r2" }));
    renderer.release();
    const ready = await cache.get(renderer, { runId: "r2" });
    assert.equal(ready.status, "ready");
    const after: RenderResult = await cache.status(renderer, { runId: "r2" });
    assert.equal(after.status, "ready");
    assert.equal(renderer.calls, 1);
  });

  test("a failed render is reported with its reason and retried only after an exponential backoff", async () => {
    const clock = manualClock();
    const renderer = countingRenderer();
    renderer.fail = Object.assign(new Error("template missing"), { code: "ENOTEMPLATE" });
    const cache = await createRenderCache({ dir, renderers: [renderer], clock, retry: { initialDelayMs: 1000, maxDelayMs: 3000 } });
    caches.push(cache);
    const input = { runId: "bad" };
    const failed = await cache.get(renderer, input);
    assert.equal(failed.status, "failed");
    assert.ok(failed.status === "failed");
    assert.deepEqual(failed.error, { name: "Error", message: "template missing", code: "ENOTEMPLATE" });
    assert.equal(failed.attempts, 1);
    assert.equal(failed.retryAt, clock.now() + 1000);

    clock.advance(999);
    const stillFailed = await cache.status(renderer, input);
    assert.equal(stillFailed.status, "failed");
    assert.equal(renderer.calls, 1, "no retry before the backoff ends");

    clock.advance(1);
    const second = await cache.get(renderer, input);
    assert.ok(second.status === "failed");
    assert.equal(second.attempts, 2);
    assert.equal(second.retryAt, clock.now() + 2000);
    assert.equal(renderer.calls, 2);

    clock.advance(2000);
    const third = await cache.get(renderer, input);
    assert.ok(third.status === "failed");
    assert.equal(third.retryAt, clock.now() + 3000, "the delay is capped at maxDelayMs");

    const status = JSON.parse(await readFile(join(dir, `${third.key}.json`), "utf8")) as { status: string; error: { message: string } };
    assert.equal(status.status, "failed");
    assert.equal(status.error.message, "template missing", "the reason is stored beside the output");

    const reopened = await createRenderCache({ dir, renderers: [renderer], clock });
    caches.push(reopened);
    assert.equal((await reopened.get(renderer, input)).status, "failed", "the backoff survives a restart");
    assert.equal(renderer.calls, 3);

    renderer.fail = undefined;
    clock.advance(3000);
    const recovered = await reopened.get(renderer, input);
    assert.equal(recovered.status, "ready");
    assert.equal(renderer.calls, 4);
  });

  test("aborting a get stops that caller's wait while the shared render completes for the others", async () => {
    const renderer = countingRenderer();
    renderer.hold();
    const cache = await open([renderer]);
    const controller = new AbortController();
    const impatient = cache.get(renderer, { runId: "r" }, { signal: controller.signal });
    const patient = cache.get(renderer, { runId: "r" });
    controller.abort(new Error("client went away"));
    await assert.rejects(impatient, /client went away/);
    renderer.release();
    assert.equal((await patient).status, "ready");
    assert.equal((await cache.get(renderer, { runId: "r" })).status, "ready");
    assert.equal(renderer.calls, 1);
    await assert.rejects(cache.get(renderer, { runId: "r" }, { signal: controller.signal }), /client went away/);
  });

  test("streamed outputs are written in full", async () => {
    const renderer: Renderer<number> = {
      name: "stream",
      version: "2024-01",
      contentType: "application/octet-stream",
      async *render(count) {
        for (let i = 0; i < count; i++) yield i % 2 === 0 ? "ab" : new Uint8Array([1, 2, 3]);
      },
    };
    const cache = await open([renderer]);
    const result = await cache.get(renderer, 4);
    assert.ok(result.status === "ready");
    assert.deepEqual([...result.body], [97, 98, 1, 2, 3, 97, 98, 1, 2, 3]);
  });

  test("a new renderer version is a new key and renders again", async () => {
    const v1 = countingRenderer("report", 1);
    const v2 = countingRenderer("report", 2);
    const first = await (await open([v1])).get(v1, { runId: "r" });
    const second = await (await open([v2])).get(v2, { runId: "r" });
    assert.notEqual(first.key, second.key);
    assert.equal(v2.calls, 1);
  });
});

describe("createRenderCache after crashes", () => {
  test("an output without its ready status file is never served and is rendered again", async () => {
    const renderer = countingRenderer();
    const probe = await open([renderer]);
    const key = probe.key(renderer, { runId: "r" });
    await writeFile(join(dir, `${key}.out`), "half a rep");
    const cache = await open([renderer]);
    const result = await cache.get(renderer, { runId: "r" });
    assert.ok(result.status === "ready");
    assert.equal(text(result.body), "report for r by report v1");
    assert.equal(renderer.calls, 1);
  });

  test("a ready status whose output size does not match, or a corrupt status file, is rendered again", async () => {
    const renderer = countingRenderer();
    const cache = await open([renderer]);
    const ready = await cache.get(renderer, { runId: "r" });
    await writeFile(join(dir, `${ready.key}.out`), "truncated");
    const again = await cache.get(renderer, { runId: "r" });
    assert.ok(again.status === "ready");
    assert.equal(text(again.body), "report for r by report v1");
    await writeFile(join(dir, `${ready.key}.json`), '{"status":"rea');
    assert.equal((await cache.get(renderer, { runId: "r" })).status, "ready");
    assert.equal(renderer.calls, 3);
  });

  test("temp files left by a crash are removed when the cache opens", async () => {
    const leftover = join(dir, `.tmp-${"a".repeat(64)}-1234`);
    await writeFile(leftover, "partial");
    await writeFile(join(dir, "unrelated.txt"), "kept");
    await open([countingRenderer()]);
    assert.deepEqual(await readdir(dir), ["unrelated.txt"]);
  });

  for (const mode of ["stream", "hang"] as const) {
    test(`kill -9 ${mode === "stream" ? "in the middle of writing an output" : "while the renderer runs"} leaves nothing that is served`, async () => {
      const child = spawnTypeScript(new URL("./render_cache_test_child.ts", import.meta.url), [dir, mode]);
      try {
        const key = (await child.waitForLine((line) => line.startsWith("key "))).slice(4);
        await child.waitForLine((line) => line === (mode === "stream" ? "first-chunk-written" : "render-started"));
        if (mode === "stream") {
          const temps = (await readdir(dir)).filter((name) => name.startsWith(".tmp-"));
          assert.equal(temps.length, 1, "the child is killed mid-write, with a partial temp file on disk");
          assert.equal((await stat(join(dir, temps[0]!))).size, 65_536);
        }
        await child.kill();
        assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith(key)), [], "no output or status was published");

        const renderer: Renderer<{ runId: string }> & { calls: number } = {
          name: "report",
          version: 1,
          contentType: "text/plain; charset=utf-8",
          calls: 0,
          render() {
            renderer.calls++;
            return "A".repeat(65_536) + "B".repeat(65_536);
          },
        };
        const cache = await open([renderer]);
        assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith(".tmp-")), [], "temp files are cleaned at open");
        const first = await cache.status(renderer, { runId: "r1" });
        assert.notEqual(first.status, "ready");
        const result = await cache.get(renderer, { runId: "r1" });
        assert.ok(result.status === "ready");
        assert.equal(result.key, key);
        assert.equal(result.body.byteLength, 131_072);
        assert.equal(text(result.body.subarray(65_536)), "B".repeat(65_536));
        assert.equal(renderer.calls, 1);
      } finally {
        await child.kill();
      }
    });
  }
});

describe("createRenderCache housekeeping", () => {
  test("gc removes outputs no longer referenced and keeps live ones", async () => {
    const renderer = countingRenderer();
    const cache = await open([renderer]);
    const keep = await cache.get(renderer, { runId: "keep" });
    const drop = await cache.get(renderer, { runId: "drop" });
    const report = await cache.gc([keep.key]);
    assert.equal(report.removed, 1);
    assert.ok(report.bytesFreed > 0);
    const names = await readdir(dir);
    assert.ok(names.includes(`${keep.key}.out`) && names.includes(`${keep.key}.json`));
    assert.ok(!names.some((name) => name.startsWith(drop.key)));
    const stats = await cache.stats();
    assert.equal(stats.entries, 1);
    assert.equal(stats.ready, 1);
    assert.equal(stats.failed, 0);
    assert.equal(stats.renders, 2);
  });

  test("gc keeps an output whose render is in progress", async () => {
    const renderer = countingRenderer();
    renderer.hold();
    const cache = await open([renderer]);
    const pending = cache.get(renderer, { runId: "busy" });
    await cache.status(renderer, { runId: "busy" });
    await cache.gc([]);
    renderer.release();
    const result = await pending;
    assert.equal(result.status, "ready");
    assert.ok((await readdir(dir)).includes(`${result.key}.out`));
  });

  test("stats counts ready and failed entries, hits and failures", async () => {
    const good = countingRenderer("good");
    const bad = countingRenderer("bad");
    bad.fail = new Error("nope");
    const cache = await open([good, bad]);
    await cache.get(good, { runId: "1" });
    await cache.get(good, { runId: "1" });
    await cache.get(bad, { runId: "1" });
    const stats = await cache.stats();
    assert.deepEqual(
      { entries: stats.entries, ready: stats.ready, failed: stats.failed, hits: stats.hits, failures: stats.failures, rendering: stats.rendering },
      { entries: 2, ready: 1, failed: 1, hits: 1, failures: 1, rendering: 0 },
    );
    assert.ok(stats.bytes > 0);
  });

  test("close aborts running renders through their signal and refuses later calls", async () => {
    let seen: AbortSignal | undefined;
    const renderer: Renderer<string> = {
      name: "slow",
      version: 1,
      contentType: "text/plain",
      render: (_input, { signal }) => {
        seen = signal;
        return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      },
    };
    const cache = await createRenderCache({ dir, renderers: [renderer] });
    const pending = cache.get(renderer, "x");
    await cache.status(renderer, "x");
    await cache.close();
    assert.equal(seen?.aborted, true);
    const result = await pending;
    assert.ok(result.status === "failed");
    assert.equal(result.error.name, "RenderCacheClosedError");
    await assert.rejects(cache.get(renderer, "x"), RenderCacheClosedError);
    assert.deepEqual((await readdir(dir)).filter((name) => name.endsWith(".json")), [], "an abort by close is not recorded as a failure");
  });

  test("nonsense options, unknown renderers and non-JSON inputs are refused with typed errors", async () => {
    const renderer = countingRenderer();
    const bad: unknown[] = [
      { dir: "", renderers: [] },
      { dir, renderers: [renderer, renderer] },
      { dir, renderers: [{ name: "x", version: 1, contentType: "", render: () => "" }] },
      { dir, renderers: [], retry: { initialDelayMs: 0 } },
      { dir, renderers: [], retry: { initialDelayMs: 10, maxDelayMs: 5 } },
      { dir, renderers: [], clock: {} },
    ];
    for (const options of bad) {
      await assert.rejects(createRenderCache(options as never), InvalidOptionsError);
    }
    const cache = await open([renderer]);
    await assert.rejects(cache.get("other", {}), UnknownRendererError);
    await assert.rejects(cache.get(countingRenderer("report", 2), { runId: "r" }), UnknownRendererError);
    await assert.rejects(cache.get(renderer, { runId: "r", when: new Date() } as never), NotJsonError);
  });
});
