/**
 * The decoding worker of the v1 -> v2 migration: receives batches of v1 rows, answers with each row decoded
 * and checked (`decodeV1Run`), in order. A run's commands travel as one JSON text: the writer parses it with
 * `JSON.parse`, cheaper on the writer's thread than deserialising a structured clone of 10,000 objects.
 * Started by the engine's worker pool; never imported by the face.
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

/** A decoded run as it crosses to the writer: its commands as the JSON text of the list. */
export type V1RunOnTheWire = Omit<V1Run, "commands"> & { readonly commandsJson: string };

/** What the worker answers for one row. */
export type V1DecodedRow = V1RunOnTheWire | V1Unreadable;

await serveWorkerTasks((rows: readonly V1Row[]): V1DecodedRow[] =>
  rows.map((row) => {
    const decoded = decodeV1Run(row.id, row.blob);
    if (decoded.kind === "unreadable") return decoded;
    const { commands, ...rest } = decoded;
    return { ...rest, commandsJson: JSON.stringify(commands) };
  }),
);
