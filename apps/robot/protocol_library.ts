/**
 * Protocols as Opentrons serves them, over the run store and the content-addressed file store: multipart
 * uploads de-duplicated by their files (the same files answer the same protocol), the protocol's type, robot
 * type and metadata read from its main file, analyses recorded and served, and deletes.
 *
 * The run store has no protocol delete yet, so a deleted protocol is recorded in a durable tombstone list
 * (`deleted-protocols.json` in the version directory) and hidden from every read; uploading its files again
 * brings it back. The store keeps `key` and `protocolKind` under `metadata._deckhand`.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Analysis, BadAnalysis, BadProtocol, Protocol, RunStore } from "@deckhand/storage";
import { AnalysisNotFoundError, InvalidRequestError, ProtocolUsedByRunError } from "./errors.ts";
import { idProblem } from "./ids.ts";
import { jsonValueProblem } from "./json_body.ts";
import { type ProtocolFiles, sha256Hex, writeFileDurably } from "./protocol_files.ts";

/** One uploaded file. */
export interface UploadedFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** A protocol upload: every file of the form field `files`, and the optional `key` and `protocolKind`. */
export interface ProtocolUpload {
  readonly files: readonly UploadedFile[];
  readonly key?: string;
  readonly protocolKind?: string;
}

const TOMBSTONES = "deleted-protocols.json";
const STORE_NOT_FOUND = "STORE_PROTOCOL_NOT_FOUND";

class ProtocolGoneError extends Error {
  readonly code = STORE_NOT_FOUND;
}

interface DeckhandMeta {
  key?: string;
  protocolKind: string;
  protocolType: "json" | "python";
}

function fileRole(name: string, main: string): string {
  if (name === main) return "main";
  if (name.toLowerCase().endsWith(".json")) return "labware";
  return "data";
}

function pythonRobotType(text: string): string {
  const match = /["']robotType["']\s*:\s*["']([^"']+)["']/.exec(text);
  return match && /flex|ot-3/i.test(match[1]!) ? "OT-3 Standard" : "OT-2 Standard";
}

function pythonMetadata(text: string): Record<string, string> {
  const block = /^metadata\s*=\s*\{([^}]*)\}/m.exec(text);
  const out: Record<string, string> = {};
  if (!block) return out;
  for (const pair of block[1]!.matchAll(/["']([^"']+)["']\s*:\s*["']([^"']*)["']/g)) out[pair[1]!] = pair[2]!;
  return out;
}

/** Protocols and analyses with Opentrons semantics. */
export class ProtocolLibrary {
  readonly #store: RunStore;
  readonly #files: ProtocolFiles;
  readonly #dataDir: string;
  #deleted = new Set<string>();
  readonly #analysisProtocol = new Map<string, string>();

  private constructor(store: RunStore, files: ProtocolFiles, dataDir: string) {
    this.#store = store;
    this.#files = files;
    this.#dataDir = dataDir;
  }

  /** Opens the library, loading the tombstone list from `dataDir`. */
  static async open(store: RunStore, files: ProtocolFiles, dataDir: string): Promise<ProtocolLibrary> {
    const library = new ProtocolLibrary(store, files, dataDir);
    try {
      const ids = JSON.parse(await readFile(join(dataDir, TOMBSTONES), "utf8")) as unknown;
      if (Array.isArray(ids)) library.#deleted = new Set(ids.filter((id): id is string => typeof id === "string"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    return library;
  }

  /** Stores an upload; `created` is false when the same files were uploaded before (answer 200, same id). */
  async upload(upload: ProtocolUpload): Promise<{ protocol: Protocol | BadProtocol; created: boolean }> {
    if (upload.files.length === 0) throw new InvalidRequestError("a protocol upload needs at least one file in the form field `files`");
    for (const file of upload.files) {
      const problem = idProblem(file.name);
      if (problem) throw new InvalidRequestError(`file name "${file.name.slice(0, 64)}" ${problem}`);
    }
    const main = upload.files.find((f) => /\.py$/i.test(f.name)) ?? upload.files.find((f) => /\.json$/i.test(f.name));
    if (!main) throw new InvalidRequestError("a protocol upload needs a main file ending in .py or .json");
    const protocolType = /\.py$/i.test(main.name) ? "python" : "json";
    const text = new TextDecoder("utf-8", { fatal: false }).decode(main.bytes);
    let metadata: Record<string, unknown>;
    let robotType: string;
    if (protocolType === "json") {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (error) {
        throw new InvalidRequestError(`the JSON protocol ${main.name} is not valid JSON`, { cause: error });
      }
      const problem = jsonValueProblem(doc);
      if (problem || typeof doc !== "object" || doc === null || Array.isArray(doc)) {
        throw new InvalidRequestError(`the JSON protocol ${main.name} is refused: ${problem?.message ?? "not a JSON object"}`);
      }
      const record = doc as { metadata?: unknown; robot?: { model?: unknown } };
      metadata = typeof record.metadata === "object" && record.metadata !== null && !Array.isArray(record.metadata)
        ? { ...(record.metadata as Record<string, unknown>) }
        : {};
      robotType = typeof record.robot?.model === "string" ? record.robot.model : "OT-2 Standard";
    } else {
      if (!text.isWellFormed()) throw new InvalidRequestError(`${main.name} is not well-formed text`);
      metadata = pythonMetadata(text);
      robotType = pythonRobotType(text);
    }
    const files = [];
    for (const file of upload.files) {
      files.push({ name: file.name, role: fileRole(file.name, main.name), sha256: await this.#files.put(file.bytes) });
    }
    const protocolKind = upload.protocolKind ?? "standard";
    const id = sha256Hex(JSON.stringify([protocolKind, [...files].map((f) => [f.name, f.sha256]).sort()])).slice(0, 32);
    const deckhand: DeckhandMeta = { protocolType, protocolKind, ...(upload.key === undefined ? {} : { key: upload.key }) };
    try {
      const protocol = await this.#store.createProtocol({ id, metadata: { ...metadata, _deckhand: deckhand }, files, robotType });
      return { protocol, created: true };
    } catch (error) {
      if ((error as { code?: unknown }).code !== "STORE_ALREADY_EXISTS") throw error;
    }
    const wasDeleted = this.#deleted.has(id);
    if (wasDeleted) await this.#saveTombstones(new Set([...this.#deleted].filter((d) => d !== id)));
    return { protocol: await this.#store.getProtocol(id), created: wasDeleted };
  }

  /** Every protocol not deleted, oldest first. */
  async list(): Promise<(Protocol | BadProtocol)[]> {
    return (await this.#store.listProtocols()).filter((p) => !this.#deleted.has(p.id));
  }

  /** One protocol; a deleted one is not found. */
  async get(id: string): Promise<Protocol | BadProtocol> {
    if (this.#deleted.has(id)) throw new ProtocolGoneError(`no protocol with id ${id}`);
    return await this.#store.getProtocol(id);
  }

  /** Deletes a protocol no run refers to (409 otherwise). */
  async delete(id: string, referencingRuns: readonly string[]): Promise<void> {
    await this.get(id);
    if (referencingRuns.length > 0) {
      throw new ProtocolUsedByRunError(`protocol ${id} is used by run(s) ${referencingRuns.slice(0, 5).join(", ")}; delete them first`);
    }
    await this.#saveTombstones(new Set([...this.#deleted, id]));
  }

  async #saveTombstones(ids: Set<string>): Promise<void> {
    await writeFileDurably(this.#dataDir, TOMBSTONES, JSON.stringify([...ids]));
    this.#deleted = ids;
  }

  /** Records a completed analysis of a protocol; the document as text is kept byte for byte. */
  async addAnalysis(protocolId: string, document: string | Record<string, unknown>): Promise<string> {
    await this.get(protocolId);
    const info = await this.#store.addAnalysis({
      protocolId,
      document: document as string,
    });
    this.#analysisProtocol.set(info.id, protocolId);
    return info.id;
  }

  /** The protocol's analyses, oldest first. */
  async analyses(protocolId: string): Promise<readonly (Analysis | BadAnalysis)[]> {
    await this.get(protocolId);
    const analyses = await this.#store.listAnalyses(protocolId);
    for (const a of analyses) this.#analysisProtocol.set(a.id, protocolId);
    return analyses;
  }

  /** Checks that analysis `analysisId` belongs to `protocolId` (404 otherwise), without parsing documents twice. */
  async requireAnalysis(protocolId: string, analysisId: string): Promise<void> {
    await this.get(protocolId);
    if (!this.#analysisProtocol.has(analysisId)) await this.analyses(protocolId);
    if (this.#analysisProtocol.get(analysisId) !== protocolId) {
      throw new AnalysisNotFoundError(`protocol ${protocolId} has no analysis ${analysisId}`);
    }
  }

  /** The stored analysis text, not parsed (`asDocument`). */
  async analysisDocument(protocolId: string, analysisId: string): Promise<string> {
    await this.requireAnalysis(protocolId, analysisId);
    return await this.#store.getAnalysisDocument(analysisId);
  }

  /** One full analysis. */
  async analysis(protocolId: string, analysisId: string): Promise<Analysis | BadAnalysis> {
    await this.requireAnalysis(protocolId, analysisId);
    return await this.#store.getAnalysis(analysisId);
  }
}

/** A protocol as Opentrons' `Protocol` resource. */
export function wireProtocol(protocol: Protocol | BadProtocol, analyses: readonly { id: string }[]): Record<string, unknown> {
  const analysisSummaries = analyses.map((a) => ({ id: a.id, status: "completed" }));
  if (protocol.kind === "bad") {
    return { id: protocol.id, createdAt: protocol.createdAt, files: [], analysisSummaries, dataError: { id: "InvalidStoredData", title: "Invalid Stored Data", detail: protocol.dataError.message, errorCode: "4008", meta: { code: protocol.dataError.code } } };
  }
  const { _deckhand, ...metadata } = protocol.metadata as Record<string, unknown> & { _deckhand?: DeckhandMeta };
  return {
    id: protocol.id,
    createdAt: protocol.createdAt,
    files: protocol.files.map((f) => ({ name: f.name, role: f.role })),
    protocolType: _deckhand?.protocolType ?? (protocol.files.some((f) => /\.py$/i.test(f.name)) ? "python" : "json"),
    robotType: protocol.robotType ?? "OT-2 Standard",
    metadata,
    ...(_deckhand?.key === undefined ? {} : { key: _deckhand.key }),
    protocolKind: _deckhand?.protocolKind ?? "standard",
    analysisSummaries,
  };
}

/** A full analysis as served: the document with its `id` and `status`. */
export function wireAnalysis(analysis: Analysis | BadAnalysis): Record<string, unknown> {
  if (analysis.kind === "bad") {
    return { id: analysis.id, status: "completed", dataError: { id: "InvalidStoredData", title: "Invalid Stored Data", detail: analysis.dataError.message, errorCode: "4008", meta: { code: analysis.dataError.code } } };
  }
  return { ...analysis.document, id: analysis.id, status: "completed" };
}
