import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { client, withRobot } from "./robot_test_support.ts";

/** Sends `head` and `partial` on a raw socket, never the rest, and resolves with what the server answers. */
function trickle(url: string, head: string, partial: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (answer += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(answer));
    socket.write(head);
    socket.write(partial);
  });
}

test("a slow client (a body that never finishes, a head that never ends) is answered 408 and changes nothing", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    const run = (await call("POST", "/runs", {})).body.data.id;
    const body = JSON.stringify({ data: { id: "c1", commandType: "home" } });
    const stuckBody = await trickle(
      robot.url,
      `POST /runs/${run}/commands HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body.slice(0, 10),
    );
    assert.match(stuckBody, /^HTTP\/1\.1 408 /);
    assert.match(stuckBody, /"ROBOT_REQUEST_TIMEOUT"/);
    const stuckHead = await trickle(robot.url, `GET /runs HTTP/1.1\r\nHost: x\r\n`, "X-Slow: 1\r\n");
    assert.match(stuckHead, /^HTTP\/1\.1 408 /);
    assert.equal((await call("GET", `/runs/${run}/commands`)).body.meta.totalLength, 0, "the unfinished request wrote nothing");
    assert.equal((await call("GET", "/runs")).status, 200, "the server still answers");
  }, ["--request-timeout-ms", "1000"]);
});
