/**
 * Protocols in the run store: metadata and the content hashes of the protocol's files, as one codec document.
 *
 * @module
 */
import type { Executor, StoreContext } from "./store_context.ts";
import type { Row } from "@libsql/client";
import { ProtocolNotFoundError } from "./errors.ts";
import { checkId, decodeStored, encodeRecord, newId } from "./record_contract.ts";
import { type BadProtocol, type Protocol, protocolCodec, type ProtocolDocument } from "./records.ts";
import { insertOrExists } from "./store_context.ts";
import { iso, parseTime } from "./times.ts";

/** A protocol to create; `id` defaults to a random UUID and `createdAt` (ISO 8601) to now. */
export interface NewProtocol extends ProtocolDocument {
  readonly id?: string;
  readonly createdAt?: string;
}

/** Stores a protocol; see `RunStore.createProtocol`. */
export async function createProtocol(context: StoreContext, protocol: NewProtocol): Promise<Protocol> {
  const id = newId(protocol?.id, "id");
  const createdAt = parseTime(protocol.createdAt, "createdAt", context.clock);
  const document: ProtocolDocument = {
    metadata: protocol.metadata,
    files: protocol.files,
    ...(protocol.robotType === undefined ? {} : { robotType: protocol.robotType }),
  };
  const encoded = encodeRecord(protocolCodec, document, "protocol", context.limits.maxRecordBytes);
  await context.write(async (tx) => {
    await insertOrExists(
      tx,
      { sql: "INSERT INTO protocols (id, created_at, version, doc) VALUES (?, ?, ?, ?)", args: [id, createdAt, encoded.version, encoded.text] },
      `a protocol with id ${id} already exists`,
    );
    return { result: undefined, changes: [{ entity: "protocol", id, kind: "created" }] };
  });
  return { kind: "ok", id, createdAt: iso(createdAt), ...document };
}

/** Reads one protocol; see `RunStore.getProtocol`. */
export async function getProtocol(context: StoreContext, id: string): Promise<Protocol | BadProtocol> {
  checkId(id, "id");
  const result = await context.client.execute({ sql: "SELECT id, created_at, version, doc FROM protocols WHERE id = ?", args: [id] });
  const row = result.rows[0];
  if (!row) throw new ProtocolNotFoundError(`no protocol with id ${id}`);
  return protocolFromRow(row);
}

/** Every protocol, oldest first; see `RunStore.listProtocols`. */
export async function listProtocols(context: StoreContext): Promise<readonly (Protocol | BadProtocol)[]> {
  const result = await context.client.execute("SELECT id, created_at, version, doc FROM protocols ORDER BY created_at, id");
  return result.rows.map(protocolFromRow);
}

/** Throws `ProtocolNotFoundError` unless the protocol exists. */
export async function requireProtocol(executor: Executor, protocolId: string): Promise<void> {
  const result = await executor.execute({ sql: "SELECT 1 FROM protocols WHERE id = ?", args: [protocolId] });
  if (result.rows.length === 0) throw new ProtocolNotFoundError(`no protocol with id ${protocolId}`);
}

function protocolFromRow(row: Row): Protocol | BadProtocol {
  const id = String(row.id);
  const createdAt = iso(Number(row.created_at));
  const decoded = decodeStored(protocolCodec, String(row.doc), Number(row.version));
  if (!decoded.ok) return { kind: "bad", id, createdAt, dataError: decoded.dataError };
  return { kind: "ok", id, createdAt, ...decoded.value };
}
