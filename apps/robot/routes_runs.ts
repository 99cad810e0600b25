/**
 * `/runs` routes with Opentrons robot-server semantics (see OPENTRONS_HTTP in the repository docs of issue 17):
 * listing oldest first, the current run and its 409s, actions, commands recorded and paged, summaries, deletes.
 *
 * @module
 */
import type { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import * as v from "valibot";
import type { BadRun, Run, RunCommand, RunStore } from "@deckhand/storage";
import { commandWindow, DEFAULT_PAGE_LENGTH } from "./command_page.ts";
import { checkId } from "./ids.ts";
import { errorEnvelope, idSchema, integerQuery, jsonBody, jsonResponse, queryParams } from "./request_validation.ts";
import type { RobotState } from "./robot_state.ts";
import { wireCommand, wireCommandSummary, wireRun } from "./run_views.ts";

const tags = ["runs"];
const errors = {
  404: jsonResponse("not found", errorEnvelope),
  409: jsonResponse("conflict with the run's state", errorEnvelope),
  422: jsonResponse("invalid request", errorEnvelope),
};

const commandSchema = v.looseObject({ id: idSchema, commandType: v.pipe(v.string(), v.minLength(1), v.maxLength(256)) });
const createBody = v.optional(v.looseObject({ data: v.optional(v.looseObject({ protocolId: v.optional(v.nullable(idSchema)) })) }), {});
const patchBody = v.object({ data: v.object({ current: v.literal(false) }) });
const actionBody = v.object({ data: v.object({ actionType: v.picklist(["play", "pause", "stop"]) }) });
const commandsBody = v.object({ data: v.union([commandSchema, v.pipe(v.array(commandSchema), v.minLength(1), v.maxLength(100_000))]) });
const summaryBody = v.object({
  data: v.looseObject({ status: v.picklist(["succeeded", "failed", "stopped"]), errors: v.array(v.unknown()) }),
});
const runsQuery = v.object({ pageLength: v.optional(integerQuery) });
const commandsQuery = v.object({ cursor: v.optional(integerQuery), pageLength: v.optional(integerQuery) });

/** Every run, oldest first. */
export async function listAllRuns(store: RunStore): Promise<(Run | BadRun)[]> {
  const all: (Run | BadRun)[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await store.listRuns({ limit: 1000, ...(before === undefined ? {} : { before }) });
    all.push(...page);
    if (page.length < 1000) break;
    before = page[page.length - 1]!.id;
  }
  return all.reverse();
}

/** Mounts the `/runs` routes. */
export function mountRunRoutes(app: Hono, state: RobotState): void {
  app.get("/runs", describeRoute({ tags, summary: "List runs, oldest first (pageLength: the newest n)", responses: { 200: jsonResponse("the runs"), 422: errors[422] } }),
    queryParams(runsQuery), async (c) => {
      const { store, runs } = state.require();
      const { pageLength } = c.req.valid("query");
      const all = await listAllRuns(store);
      const current = runs.currentRunId;
      const page = pageLength === undefined ? all : pageLength <= 0 ? [] : all.slice(-pageLength);
      return c.json({
        data: page.map((run) => wireRun(run, current)),
        ...(current === null ? {} : { links: { current: { href: `/runs/${current}` } } }),
        meta: { cursor: 0, totalLength: all.length },
      });
    });

  app.post("/runs", describeRoute({ tags, summary: "Create a run; it becomes current and archives the previous one", responses: { 201: jsonResponse("the run"), ...errors } }),
    jsonBody(createBody), async (c) => {
      const { runs, protocols } = state.require();
      const protocolId = c.req.valid("json")?.data?.protocolId ?? null;
      if (protocolId !== null) await protocols.get(protocolId);
      const run = await runs.createRun(protocolId);
      return c.json({ data: wireRun(run, runs.currentRunId) }, 201);
    });

  app.get("/runs/:runId", describeRoute({ tags, summary: "Get a run (a bad run answers 200 with dataError)", responses: { 200: jsonResponse("the run"), 404: errors[404], 422: errors[422] } }),
    async (c) => {
      const { store, runs } = state.require();
      const run = await store.getRun(checkId(c.req.param("runId"), "runId"));
      return c.json({ data: wireRun(run, runs.currentRunId) });
    });

  app.patch("/runs/:runId", describeRoute({ tags, summary: "Archive the run: { data: { current: false } }", responses: { 200: jsonResponse("the run"), ...errors } }),
    jsonBody(patchBody), async (c) => {
      const { runs } = state.require();
      const run = await runs.archive(checkId(c.req.param("runId"), "runId"));
      return c.json({ data: wireRun(run, runs.currentRunId) });
    });

  app.delete("/runs/:runId", describeRoute({ tags, summary: "Delete a run, good or bad (409 while running)", responses: { 200: jsonResponse("{}", v.object({})), ...errors } }),
    async (c) => {
      const { runs } = state.require();
      await runs.deleteRun(checkId(c.req.param("runId"), "runId"));
      return c.json({});
    });

  app.post("/runs/:runId/actions", describeRoute({ tags, summary: "play, pause or stop the current run", responses: { 201: jsonResponse("the action"), ...errors } }),
    jsonBody(actionBody), async (c) => {
      const { runs } = state.require();
      const action = await runs.addAction(checkId(c.req.param("runId"), "runId"), c.req.valid("json").data.actionType);
      return c.json({ data: { id: action.id, actionType: action.actionType, createdAt: action.createdAt } }, 201);
    });

  app.put("/runs/:runId/summary", describeRoute({ tags, summary: "Finish the current run with the controller's state summary", responses: { 200: jsonResponse("the run"), ...errors } }),
    jsonBody(summaryBody), async (c) => {
      const { runs } = state.require();
      const run = await runs.finish(checkId(c.req.param("runId"), "runId"), c.req.valid("json").data);
      return c.json({ data: wireRun(run, runs.currentRunId) });
    });

  app.post("/runs/:runId/commands", describeRoute({ tags, summary: "Record finished commands of the current run: { data: command | command[] }", responses: { 201: jsonResponse("the recorded commands"), ...errors } }),
    jsonBody(commandsBody), async (c) => {
      const { runs } = state.require();
      const runId = checkId(c.req.param("runId"), "runId");
      c.req.valid("json"); // validated (422 otherwise); valibot's output is NOT stored: it reorders the keys
      // The command exactly as the client sent it (the body guard's one parse of the request text), so a GET
      // serves the same JSON, key order included.
      const data = ((await c.req.json()) as { data: RunCommand | RunCommand[] }).data;
      const commands = Array.isArray(data) ? data : [data];
      const appended = await runs.appendCommands(runId, commands);
      return c.json({ data, meta: { firstIndex: appended.firstIndex, totalLength: appended.totalLength } }, 201);
    });

  app.get("/runs/:runId/commands", describeRoute({ tags, summary: "A page of the run's command summaries (default: the last page of 20)", responses: { 200: jsonResponse("the page"), 404: errors[404], 422: errors[422] } }),
    queryParams(commandsQuery), async (c) => {
      const { store } = state.require();
      const runId = checkId(c.req.param("runId"), "runId");
      const { cursor, pageLength = DEFAULT_PAGE_LENGTH } = c.req.valid("query");
      const run = await store.getRun(runId);
      const total = run.commandCount;
      const window = commandWindow(total, cursor, pageLength);
      const page = window.count > 0 ? await store.listCommands(runId, { cursor: window.cursor, pageLength: window.count }) : undefined;
      const commands = page?.commands ?? [];
      let last = commands.length > 0 && commands[commands.length - 1]!.index === total - 1 ? commands[commands.length - 1] : undefined;
      if (last === undefined && total > 0) last = (await store.listCommands(runId, { cursor: total - 1, pageLength: 1 })).commands[0];
      let links: Record<string, unknown> | undefined;
      if (last !== undefined) {
        const command = last.kind === "ok" ? last.command : { id: last.id };
        links = {
          current: {
            href: `/runs/${runId}/commands/${command.id}`,
            meta: { runId, commandId: command.id, index: last.index, key: (command as Record<string, unknown>)["key"] ?? command.id, createdAt: (command as Record<string, unknown>)["createdAt"] ?? null },
          },
        };
      }
      return c.json({ data: commands.map(wireCommandSummary), ...(links ? { links } : {}), meta: { cursor: window.cursor, totalLength: total } });
    });

  app.get("/runs/:runId/commands/:commandId", describeRoute({ tags, summary: "One command in full, with its result", responses: { 200: jsonResponse("the command"), 404: errors[404], 422: errors[422] } }),
    async (c) => {
      const { store } = state.require();
      const command = await store.getCommand(checkId(c.req.param("runId"), "runId"), checkId(c.req.param("commandId"), "commandId"));
      return c.json({ data: wireCommand(command) });
    });
}
