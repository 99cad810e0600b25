/**
 * Analyses of a protocol in the run store: the analysis JSON document, stored as given so it can be served
 * without parse and re-stringify.
 *
 * @module
 */
import type { Row } from "@libsql/client";
import { AnalysisNotFoundError, InvalidRecordError } from "./errors.ts";
import { requireProtocol } from "./protocols.ts";
import { checkGivenText, checkId, decodeStored, encodeRecord, newId } from "./record_contract.ts";
import { type Analysis, analysisCodec, type AnalysisDocument, type AnalysisInfo, type BadAnalysis } from "./records.ts";
import { insertOrExists, type StoreContext } from "./store_context.ts";
import { iso, parseTime } from "./times.ts";

/**
 * An analysis to add. `document` as a string is validated and stored byte for byte (so `getAnalysisDocument`
 * returns exactly it); as an object it is stored as its JSON.
 */
export interface NewAnalysis {
  readonly id?: string;
  readonly protocolId: string;
  readonly createdAt?: string;
  readonly document: string | AnalysisDocument;
}

/** Stores an analysis; see `RunStore.addAnalysis`. */
export async function addAnalysis(context: StoreContext, analysis: NewAnalysis): Promise<AnalysisInfo> {
  const id = newId(analysis?.id, "id");
  const protocolId = checkId(analysis.protocolId, "protocolId");
  const createdAt = parseTime(analysis.createdAt, "createdAt", context.clock);
  const maxBytes = context.limits.maxRecordBytes;
  let text: string;
  if (typeof analysis.document === "string") {
    const given = analysis.document;
    // The size first: the codec would parse a text of any size.
    if (given.length > maxBytes) checkGivenText(given, undefined, "document", maxBytes);
    const decoded = analysisCodec.decode(given, analysisCodec.version);
    if (!decoded.ok) throw new InvalidRecordError(`the analysis document is invalid: ${decoded.error.message}`);
    checkGivenText(given, decoded.value, "document", maxBytes);
    text = given;
  } else {
    text = encodeRecord(analysisCodec, analysis.document, "document", maxBytes).text;
  }
  await context.write(async (tx) => {
    await requireProtocol(tx, protocolId);
    await insertOrExists(
      tx,
      {
        sql: "INSERT INTO analyses (id, protocol_id, created_at, version, doc) VALUES (?, ?, ?, ?, ?)",
        args: [id, protocolId, createdAt, analysisCodec.version, text],
      },
      `an analysis with id ${id} already exists`,
    );
    return { result: undefined, changes: [{ entity: "analysis", id, kind: "created" }] };
  });
  return { id, protocolId, createdAt: iso(createdAt) };
}

/** A protocol's analyses, oldest first; see `RunStore.listAnalyses`. */
export async function listAnalyses(context: StoreContext, protocolId: string): Promise<readonly (Analysis | BadAnalysis)[]> {
  checkId(protocolId, "protocolId");
  await requireProtocol(context.client, protocolId);
  const result = await context.client.execute({
    sql: "SELECT id, protocol_id, created_at, version, doc FROM analyses WHERE protocol_id = ? ORDER BY created_at, id",
    args: [protocolId],
  });
  return result.rows.map(analysisFromRow);
}

/** One analysis, decoded; see `RunStore.getAnalysis`. */
export async function getAnalysis(context: StoreContext, id: string): Promise<Analysis | BadAnalysis> {
  checkId(id, "id");
  const result = await context.client.execute({
    sql: "SELECT id, protocol_id, created_at, version, doc FROM analyses WHERE id = ?",
    args: [id],
  });
  const row = result.rows[0];
  if (!row) throw new AnalysisNotFoundError(`no analysis with id ${id}`);
  return analysisFromRow(row);
}

/** The stored analysis text, unparsed; see `RunStore.getAnalysisDocument`. */
export async function getAnalysisDocument(context: StoreContext, id: string): Promise<string> {
  checkId(id, "id");
  const result = await context.client.execute({ sql: "SELECT doc FROM analyses WHERE id = ?", args: [id] });
  const row = result.rows[0];
  if (!row) throw new AnalysisNotFoundError(`no analysis with id ${id}`);
  return String(row[0]);
}

function analysisFromRow(row: Row): Analysis | BadAnalysis {
  const info = { id: String(row.id), protocolId: String(row.protocol_id), createdAt: iso(Number(row.created_at)) };
  const decoded = decodeStored(analysisCodec, String(row.doc), Number(row.version));
  if (!decoded.ok) return { kind: "bad", ...info, dataError: decoded.dataError };
  return { kind: "ok", ...info, document: decoded.value };
}
