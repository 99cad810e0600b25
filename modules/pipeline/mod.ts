/**
 * @deckhand/pipeline: staged async processing with bounded queues, batching, concurrency, cancellation and
 * throttled progress, plus `syncContentSet` to make a target hold exactly (or at least) a desired set.
 *
 * @example
 * ```ts
 * import { batch, map, run, tap } from "@deckhand/pipeline";
 *
 * const report = await run(readLines("commands.ndjson"), [
 *   map((line: string) => JSON.parse(line) as Command),
 *   batch({ size: 500, maxWaitMs: 1000 }),
 *   tap((commands: Command[]) => store.appendCommands(commands)),
 * ], { signal, onProgress: console.log });
 * ```
 *
 * @module
 */
export { pipeline, run } from "./pipeline.ts";
export type { PipelineOptions, Source } from "./pipeline_run.ts";
export type { PipelineReport, StageProgress } from "./progress.ts";
export { named } from "./stage.ts";
export type { Stage, StageContext } from "./stage.ts";
export { map } from "./map.ts";
export type { MapOptions } from "./map.ts";
export { filter } from "./filter.ts";
export { batch } from "./batch.ts";
export type { BatchOptions } from "./batch.ts";
export { flat } from "./flat.ts";
export { dedupe } from "./dedupe.ts";
export { tap } from "./tap.ts";
export { AbortError, InvalidOptionsError, PipelineError, StageError } from "./errors.ts";
export { syncContentSet } from "./sync_content_set.ts";
export type { ContentTarget, SyncContentSetOptions, SyncContentSetResult } from "./sync_content_set.ts";
