/**
 * Decoding v1 rows for the v1 -> v2 migration: each blob decoded and checked (`decodeV1Run`), its commands
 * checked against the run store's input contract and stringified (`encodeCommands`), so they travel as two
 * arrays of strings and the single writer only stores them (`appendEncodedCommands`). Most blobs take the fast
 * path (`v1_transcode.ts`: MessagePack bytes straight to JSON text); the rest, and every row that is
 * quarantined, take the slow one. Runs in the decoding workers (`v1_decode_worker.ts`).
 *
 * @module
 */
import type { EncodedCommands } from "@deckhand/storage";
import { decodeV1Run, type V1Run, type V1Unreadable } from "./v1_format.ts";
import { transcodeV1Run } from "./v1_transcode.ts";

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

/** The run store, loaded on the first blob that takes the slow path (the fast path does not need it). */
let storage: Promise<typeof import("@deckhand/storage")> | undefined;

/**
 * Decodes and checks v1 rows, in order: each blob through the fast path (`transcodeV1Run`), which answers
 * exactly as the slow path would or not at all, else through the slow path (`decodeV1Run`, then the run
 * store's `encodeCommands`). Never throws for a bad blob: it answers `unreadable` or `rejected`.
 *
 * @example
 * ```ts
 * const [decoded] = await decodeV1Rows([{ id: "run-1", blob }]);
 * if (decoded.kind === "run") await store.appendEncodedCommands(decoded.id, decoded.commands);
 * ```
 */
export async function decodeV1Rows(rows: readonly V1Row[]): Promise<V1DecodedRow[]> {
  const answers: V1DecodedRow[] = [];
  for (const row of rows) answers.push(transcodeV1Run(row.id, row.blob) ?? (await slowPath(row)));
  return answers;
}

/** Decodes a blob into objects, checks them, and encodes the commands through the run store's contract. */
async function slowPath(row: V1Row): Promise<V1DecodedRow> {
  const decoded = decodeV1Run(row.id, row.blob);
  if (decoded.kind === "unreadable") return decoded;
  const { encodeCommands, StorageError } = await (storage ??= import("@deckhand/storage"));
  const { commands, ...rest } = decoded;
  try {
    return { ...rest, commands: encodeCommands(commands) };
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    return { kind: "rejected", id: decoded.id, createdAt: decoded.createdAt, message: `${error.code}: ${error.message}` };
  }
}
