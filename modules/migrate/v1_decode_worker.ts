/**
 * The decoding worker of the v1 -> v2 migration: receives batches of v1 rows, answers with each row decoded
 * and checked (`decodeV1Run`), in order. Started by the engine's worker pool; never imported by the face.
 *
 * @module
 */
import { decodeV1Run, type V1Run, type V1Unreadable } from "./v1_format.ts";
import { serveWorkerTasks } from "./worker_task.ts";

/** One v1 row as the reader sends it. */
export interface V1Row {
  readonly id: string;
  readonly blob: Uint8Array;
}

await serveWorkerTasks((rows: readonly V1Row[]): (V1Run | V1Unreadable)[] => rows.map((row) => decodeV1Run(row.id, row.blob)));
