import { test } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { createRobotApp } from "./app.ts";
import { EventHub } from "./event_hub.ts";
import { RobotMetrics } from "./metrics.ts";
import { RobotState } from "./robot_state.ts";
import { client, withRobot } from "./robot_test_support.ts";

function assertEnvelope(body: any, id: string, code: string): void {
  assert.ok(Array.isArray(body?.errors), `an error envelope: ${JSON.stringify(body)}`);
  const [error] = body.errors;
  assert.equal(error.id, id);
  assert.equal(typeof error.title, "string");
  assert.equal(typeof error.detail, "string");
  assert.equal(typeof error.errorCode, "string");
  assert.equal(error.meta.code, code);
}

test("token: mutating routes need the bearer token, reads do not", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const anonymous = client(robot);
    assert.equal((await anonymous("GET", "/runs")).status, 200);
    const refused = await anonymous("POST", "/runs", {});
    assert.equal(refused.status, 401);
    assertEnvelope(refused.body, "Unauthorized", "ROBOT_UNAUTHORIZED");
    assert.equal((await client(robot, "s3cret-but-wrong")("POST", "/runs", {})).status, 401);
    assert.equal((await client(robot, "s3cre")("DELETE", "/runs/x")).status, 401);
    assert.equal((await anonymous("POST", "/runs", {}, { authorization: "Basic czNjcmV0" })).status, 401);
    assert.equal((await client(robot, "s3cret")("POST", "/runs", {})).status, 201);
    assert.equal((await anonymous("GET", "/runs")).body.meta.totalLength, 1, "refused requests wrote nothing");
  }, ["--token", "s3cret"]);
});

test("bad input is answered: 413 with Connection: close (the next pooled request works), 422 envelopes, 404 envelope, ids checked", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    const run = (await call("POST", "/runs", {})).body.data.id;
    const tooBig = JSON.stringify({ data: { id: "c1", commandType: "x", pad: "x".repeat(70_000) } });
    const refused = await call("POST", `/runs/${run}/commands`, tooBig);
    assert.equal(refused.status, 413);
    assert.equal(refused.headers.get("connection"), "close");
    assertEnvelope(refused.body, "RequestTooLarge", "ROBOT_BODY_TOO_LARGE");
    // A chunked body (no Content-Length) over the limit, then a request on the same keep-alive agent.
    const chunked = await new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = httpRequest(`${robot.url}/runs/${run}/commands`, { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
      });
      req.on("error", reject);
      req.end(tooBig);
    });
    assert.deepEqual(chunked, { status: 413, connection: "close" });
    assert.equal((await call("GET", `/runs/${run}`)).status, 200, "the next request is answered");

    const cases: [string, string][] = [
      ["not json", "{\"data\": "],
      ["lone surrogate in a string", '{"data":{"id":"c\\ud800","commandType":"home"}}'],
      ["lone surrogate in a key", '{"data":{"id":"c1","commandType":"home","\\udc00":1}}'],
      ["number beyond double range", '{"data":{"id":"c1","commandType":"home","params":{"volume":1e400}}}'],
      ["deep nesting", `{"data":{"id":"c1","commandType":"home","params":${"[".repeat(1000)}${"]".repeat(1000)}}}`],
      ["schema: no commandType", '{"data":{"id":"c1"}}'],
      ["schema: id too long", JSON.stringify({ data: { id: "x".repeat(300), commandType: "home" } })],
    ];
    for (const [name, body] of cases) {
      const response = await call("POST", `/runs/${run}/commands`, body);
      assert.equal(response.status, 422, name);
      assertEnvelope(response.body, "InvalidRequest", "ROBOT_INVALID_REQUEST");
      assert.ok(Array.isArray(response.body.errors[0].meta.issues), `${name}: issues listed`);
    }
    assert.equal((await call("GET", `/runs/${run}/commands`)).body.meta.totalLength, 0, "nothing refused was stored");
    const action = await call("POST", `/runs/${run}/actions`, { data: { actionType: "dance" } });
    assert.equal(action.status, 422);
    assert.ok(action.body.errors[0].meta.issues.some((i: { path: string[] }) => i.path.join(".") === "data.actionType"));

    const unknown = await call("GET", "/no/such/route");
    assert.equal(unknown.status, 404);
    assertEnvelope(unknown.body, "RouteNotFound", "ROBOT_ROUTE_NOT_FOUND");
    for (const id of ["..%2F..%2Fetc%2Fpasswd", "a%5Cb", "x".repeat(200), "%00abc"]) {
      const response = await call("GET", `/runs/${id}`);
      assert.equal(response.status, 422, `id ${id.slice(0, 20)}`);
      assertEnvelope(response.body, "InvalidRequest", "ROBOT_INVALID_ID");
    }
    assert.equal((await call("GET", "/runs/unknown-run")).status, 404);
  }, ["--max-body-bytes", "65536"]);
});

test("metrics: Prometheus text with request counts by route, store writes, capture rates and disk free", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    await call("POST", "/runs", {});
    await call("GET", "/runs");
    const response = await fetch(`${robot.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    const text = await response.text();
    assert.match(text, /deckhand_http_requests_total\{method="GET",route="\/runs",status="200"\} 1/);
    assert.match(text, /deckhand_http_requests_total\{method="POST",route="\/runs",status="201"\} 1/);
    assert.match(text, /deckhand_http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/runs"\}/);
    assert.match(text, /deckhand_store_writes_total\{entity="run",kind="created"\} 1/);
    assert.match(text, /deckhand_capture_target_rate_hz\{collector="temp-module"\} 10/);
    assert.match(text, /deckhand_capture_effective_rate_hz\{collector="temp-module"\} \d/);
    assert.match(text, /deckhand_capture_missed_ticks_total\{collector="temp-module"\} \d+/);
    assert.match(text, /deckhand_sync_queued_files \d+/);
    assert.match(text, /deckhand_disk_free_bytes \d+/);
  });
});

test("openapi.json documents every route of the app, with the request schemas that validate them", { timeout: 180_000 }, async () => {
  const state = new RobotState("/nonexistent", new EventHub(), 0);
  const app = createRobotApp({ state, metrics: new RobotMetrics(), maxBodyBytes: 1 << 20 });
  const response = await app.request("/openapi.json");
  assert.equal(response.status, 200);
  const spec = await response.json() as { openapi: string; paths: Record<string, Record<string, any>> };
  assert.match(spec.openapi, /^3\./);
  // Every route but the document itself (hono-openapi leaves its own route out).
  const routes = app.routes.filter((r) => r.method !== "ALL" && r.path !== "/openapi.json").map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
  const documented = Object.entries(spec.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`));
  assert.ok(routes.length >= 25, `routes found: ${routes.length}`);
  assert.deepEqual([...new Set(documented)].sort(), [...new Set(routes)].sort());
  const commands = spec.paths["/runs/{runId}/commands"]!;
  assert.ok(commands["get"].parameters.some((p: { name: string }) => p.name === "cursor"), "query schema documented");
  assert.ok(commands["post"].requestBody.content["application/json"].schema, "body schema documented");
  assert.ok(spec.paths["/protocols"]!["post"].requestBody.content["multipart/form-data"]);
});
