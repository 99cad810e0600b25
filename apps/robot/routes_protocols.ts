/**
 * `/protocols` routes with Opentrons semantics: multipart upload in `files` (the same files answer 200 with the
 * same id), list oldest first, get with `links.referencingRuns`, delete (409 while a run refers to it), and
 * analyses recorded, listed, read, and served `asDocument` as the stored text, not parsed.
 *
 * @module
 */
import type { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import type { AnalysisDocument } from "@deckhand/storage";
import * as v from "valibot";
import { InvalidRequestError } from "./errors.ts";
import { checkId } from "./ids.ts";
import { jsonValueProblem } from "./json_body.ts";
import { type UploadedFile, wireAnalysis, wireProtocol } from "./protocol_library.ts";
import { errorEnvelope, jsonResponse } from "./request_validation.ts";
import type { RobotState } from "./robot_state.ts";
import { listAllRuns } from "./routes_runs.ts";
import { isWellFormedText } from "./unicode_text.ts";
import { checkMultipartUtf8 } from "./utf8_request.ts";

const tags = ["protocols"];
const errors = {
  404: jsonResponse("not found", errorEnvelope),
  409: jsonResponse("conflict", errorEnvelope),
  422: jsonResponse("invalid request", errorEnvelope),
};

async function referencingRuns(state: RobotState, protocolId: string): Promise<string[]> {
  return (await listAllRuns(state.require().store)).filter((run) => run.protocolId === protocolId).map((run) => run.id);
}

/** Mounts the `/protocols` routes. */
export function mountProtocolRoutes(app: Hono, state: RobotState): void {
  app.post("/protocols", describeRoute({
    tags, summary: "Upload a protocol: multipart, every file in the form field `files`, optional `key` and `protocolKind`",
    requestBody: {
      required: true,
      content: {
        "multipart/form-data": {
          schema: {
            type: "object",
            properties: { files: { type: "array", items: { type: "string", format: "binary" } }, key: { type: "string" }, protocolKind: { type: "string" } },
            required: ["files"],
          },
        },
      },
    },
    responses: { 200: jsonResponse("the same files were uploaded before"), 201: jsonResponse("the protocol"), 422: errors[422] },
  }), async (c) => {
    const { protocols } = state.require();
    if (!/^multipart\/form-data/i.test(c.req.header("content-type") ?? "")) {
      throw new InvalidRequestError("upload a protocol as multipart/form-data with its files in the form field `files`");
    }
    // File and field names are refused when not UTF-8 (the form parser would replace the bad bytes); the bytes
    // read here are the ones parseBody parses next.
    checkMultipartUtf8(new Uint8Array(await c.req.arrayBuffer()), c.req.header("content-type") ?? "");
    let form: Record<string, string | File | (string | File)[]>;
    try {
      form = await c.req.parseBody({ all: true });
    } catch (error) {
      throw new InvalidRequestError("the multipart body could not be read", { cause: error });
    }
    const rawFiles = form["files"] === undefined ? [] : Array.isArray(form["files"]) ? form["files"] : [form["files"]];
    const files: UploadedFile[] = [];
    for (const file of rawFiles) {
      if (typeof file === "string") throw new InvalidRequestError("the form field `files` must hold files, not text");
      files.push({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
    }
    const text = (name: string): string | undefined => {
      const value = form[name];
      if (value === undefined) return undefined;
      if (typeof value !== "string" || !isWellFormedText(value) || value.length > 256) throw new InvalidRequestError(`the form field \`${name}\` must be a short text`);
      return value;
    };
    const key = text("key");
    const protocolKind = text("protocolKind");
    const { protocol, created } = await protocols.upload({ files, ...(key === undefined ? {} : { key }), ...(protocolKind === undefined ? {} : { protocolKind }) });
    const analyses = await protocols.analyses(protocol.id);
    return c.json({ data: wireProtocol(protocol, analyses) }, created ? 201 : 200);
  });

  app.get("/protocols", describeRoute({ tags, summary: "List protocols, oldest first", responses: { 200: jsonResponse("the protocols") } }), async (c) => {
    const { protocols } = state.require();
    const list = await protocols.list();
    const data = [];
    for (const protocol of list) data.push(wireProtocol(protocol, await protocols.analyses(protocol.id)));
    return c.json({ data, meta: { cursor: 0, totalLength: data.length } });
  });

  app.get("/protocols/:protocolId", describeRoute({ tags, summary: "Get a protocol, with links.referencingRuns", responses: { 200: jsonResponse("the protocol"), 404: errors[404], 422: errors[422] } }), async (c) => {
    const { protocols } = state.require();
    const id = checkId(c.req.param("protocolId"), "protocolId");
    const protocol = await protocols.get(id);
    const runs = await referencingRuns(state, id);
    return c.json({
      data: wireProtocol(protocol, await protocols.analyses(id)),
      links: { referencingRuns: runs.map((runId) => ({ id: runId, href: `/runs/${runId}` })) },
    });
  });

  app.delete("/protocols/:protocolId", describeRoute({ tags, summary: "Delete a protocol no run refers to", responses: { 200: jsonResponse("{}", v.object({})), ...errors } }), async (c) => {
    const { protocols } = state.require();
    const id = checkId(c.req.param("protocolId"), "protocolId");
    await protocols.delete(id, await referencingRuns(state, id));
    return c.json({});
  });

  app.post("/protocols/:protocolId/analyses", describeRoute({
    tags, summary: "Record a completed analysis: the document as the body, or { data: document }",
    requestBody: { required: true, content: { "application/json": { schema: { type: "object", properties: { commands: { type: "array", items: {} }, errors: { type: "array", items: {} } } } } } },
    responses: { 201: jsonResponse("the protocol's analysis summaries"), ...errors },
  }), async (c) => {
    const { protocols } = state.require();
    const id = checkId(c.req.param("protocolId"), "protocolId");
    const text = await c.req.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new InvalidRequestError("the analysis is not valid JSON", { cause: error });
    }
    const problem = jsonValueProblem(parsed);
    if (problem) throw new InvalidRequestError(`the analysis is refused: ${problem.message}`, { meta: { issues: [problem] } });
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new InvalidRequestError("the analysis must be a JSON object");
    const record = parsed as Record<string, unknown>;
    const wrapped = !("commands" in record) && typeof record["data"] === "object" && record["data"] !== null;
    // The document as sent is stored byte for byte (asDocument serves exactly it); a wrapped one as its JSON.
    // The store validates the document (commands and errors arrays) either way.
    await protocols.addAnalysis(id, wrapped ? (record["data"] as AnalysisDocument) : text);
    const analyses = await protocols.analyses(id);
    return c.json({ data: analyses.map((a) => ({ id: a.id, status: "completed" })) }, 201);
  });

  app.get("/protocols/:protocolId/analyses", describeRoute({ tags, summary: "The protocol's full analyses, oldest first", responses: { 200: jsonResponse("the analyses"), 404: errors[404], 422: errors[422] } }), async (c) => {
    const { protocols } = state.require();
    const analyses = await protocols.analyses(checkId(c.req.param("protocolId"), "protocolId"));
    return c.json({ data: analyses.map(wireAnalysis), meta: { cursor: 0, totalLength: analyses.length } });
  });

  app.get("/protocols/:protocolId/analyses/:analysisId", describeRoute({ tags, summary: "One full analysis", responses: { 200: jsonResponse("the analysis"), 404: errors[404], 422: errors[422] } }), async (c) => {
    const { protocols } = state.require();
    const analysis = await protocols.analysis(checkId(c.req.param("protocolId"), "protocolId"), checkId(c.req.param("analysisId"), "analysisId"));
    return c.json({ data: wireAnalysis(analysis) });
  });

  app.get("/protocols/:protocolId/analyses/:analysisId/asDocument", describeRoute({
    tags, summary: "The analysis as stored: its JSON text, not in data, not parsed",
    responses: { 200: { description: "the stored analysis document", content: { "application/json": { schema: { type: "object" } } } }, 404: errors[404], 422: errors[422] },
  }), async (c) => {
    const { protocols } = state.require();
    const text = await protocols.analysisDocument(checkId(c.req.param("protocolId"), "protocolId"), checkId(c.req.param("analysisId"), "analysisId"));
    return c.body(text, 200, { "content-type": "application/json" });
  });
}
