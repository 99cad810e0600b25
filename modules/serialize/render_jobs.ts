/**
 * `renderJobs`: renders a batch of outputs through a render cache with bounded concurrency (a `@deckhand/pipeline`
 * run), for a startup scan or a change feed that marks renders stale. Its keys are the live set for `cache.gc`.
 *
 * @module
 */
import { map, named, type PipelineReport, run, tap } from "@deckhand/pipeline";
import { InvalidOptionsError } from "./errors.ts";
import type { RenderCache, Renderer, RenderFailed, RenderReady } from "./render_cache.ts";

/** One output to render: a renderer (or its name) of the cache and an input. */
export interface RenderJob<I = unknown> {
  readonly renderer: Renderer<I> | string;
  readonly input: I;
}

/** Options of `renderJobs`. */
export interface RenderJobsOptions {
  /** Renders running at once. Default 2: renders are CPU work on a small robot computer. */
  readonly concurrency?: number;
  /** Stops taking new jobs and rejects with the pipeline's `AbortError`; renders already running finish. */
  readonly signal?: AbortSignal;
  /** Throttled progress of the run (see `@deckhand/pipeline`). */
  readonly onProgress?: (report: PipelineReport) => void;
}

/** What `renderJobs` did. */
export interface RenderJobsResult {
  /** Jobs whose output is ready (rendered now or already cached). */
  readonly ready: number;
  /** Jobs whose render failed (now, or earlier and still in backoff). */
  readonly failed: number;
  /** The key of every job, in completion order, without duplicates: pass it to `cache.gc` as the live set. */
  readonly keys: readonly string[];
  /** The failures, with their reasons and `retryAt`. */
  readonly failures: readonly RenderFailed[];
}

/**
 * Renders every job through `cache` (each key at most once, thanks to the cache's single flight), `concurrency`
 * at a time, and reports how many are ready or failed. A failed render does not stop the run: it is counted and
 * retried by a later `get` after its backoff.
 *
 * @example
 * ```ts
 * const runs = await store.listRunIds();
 * const result = await renderJobs(cache, runs.map((runId) => ({ renderer: "run-report", input: { runId } })), {
 *   concurrency: 2,
 * });
 * await cache.gc(result.keys);
 * ```
 */
export async function renderJobs(
  cache: RenderCache,
  jobs: Iterable<RenderJob> | AsyncIterable<RenderJob>,
  options: RenderJobsOptions = {},
): Promise<RenderJobsResult> {
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidOptionsError(`renderJobs: concurrency must be a positive integer, got ${String(concurrency)}`);
  }
  const keys = new Set<string>();
  const failures: RenderFailed[] = [];
  let ready = 0;
  await run(
    jobs,
    [
      named("render", map((job: RenderJob) => cache.get(job.renderer, job.input), { concurrency, ordered: false })),
      named(
        "count",
        tap((result: RenderReady | RenderFailed) => {
          keys.add(result.key);
          if (result.status === "ready") ready++;
          else failures.push(result);
        }),
      ),
    ],
    {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    },
  );
  return { ready, failed: failures.length, keys: [...keys], failures };
}
