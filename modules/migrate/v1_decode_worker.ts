/**
 * The decoding worker of the v1 -> v2 migration: receives batches of v1 rows and answers with each row decoded
 * (`decodeV1Rows`), in order. Started by the engine's worker pool; never imported by the face.
 *
 * @module
 */
import { decodeV1Rows } from "./v1_decode.ts";
import { serveWorkerTasks } from "./worker_task.ts";

await serveWorkerTasks(decodeV1Rows);
