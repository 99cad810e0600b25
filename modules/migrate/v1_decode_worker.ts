/**
 * The decoding worker of the v1 -> v2 migration: receives batches of v1 rows, answers with each row decoded
 * and checked (`decodeV1Run`), in order. A run's commands are also checked against the run store's input
 * contract and stringified here (`encodeCommands`), so they travel as two arrays of strings and the single
 * writer only stores them (`appendEncodedCommands`): the costly part of the append runs on every core.
 * Started by the engine's worker pool; never imported by the face.
 *
 * @module
 */
import { encodeCommands, type EncodedCommands, StorageError } from "@deckhand/storage";
import { decodeV1Run, type V1Run, type V1Unreadable } from "./v1_format.ts";
import { serveWorkerTasks } from "./worker_task.ts";

/** One v1 row as the reader sends it. */
export interface V1Row {
  readonly id: string;
  readonly blob: Uint8Array;
}

/** A decoded run as it crosses to the writer: its commands checked and stringified for the run store. */
export type V1RunOnTheWire = Omit<V1Run, "commands"> & { readonly commands: EncodedCommands };

/** A run the run store's input contract refuses (`rejected-by-store`): quarantined by the writer. */
export interface V1Rejected {
  readonly kind: "rejected";
  readonly id: string;
  readonly createdAt: string;
  readonly message: string;
}

/** What the worker answers for one row. */
export type V1DecodedRow = V1RunOnTheWire | V1Unreadable | V1Rejected;

await serveWorkerTasks((rows: readonly V1Row[]): V1DecodedRow[] =>
  rows.map((row) => {
    const decoded = decodeV1Run(row.id, row.blob);
    if (decoded.kind === "unreadable") return decoded;
    const { commands, ...rest } = decoded;
    try {
      return { ...rest, commands: encodeCommands(commands) };
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      return { kind: "rejected", id: decoded.id, createdAt: decoded.createdAt, message: `${error.code}: ${error.message}` };
    }
  }),
);
