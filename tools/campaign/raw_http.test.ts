import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { encodeRawRequest, sendRawRequest } from "./raw_http.ts";

/** A TCP server that records the raw bytes it receives and answers with `reply` once it has `answerAfter` bytes. */
async function rawServer(reply: string, answerAfter: number) {
  const received: Buffer[] = [];
  const server = createServer((socket) => {
    let got = 0;
    socket.on("data", (chunk) => {
      received.push(chunk);
      got += chunk.length;
      if (got >= answerAfter && socket.writable) socket.end(reply);
    });
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytes: () => Buffer.concat(received),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test("the request target's bytes go on the wire exactly, invalid UTF-8 included", async () => {
  const server = await rawServer("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\nbad", 1);
  try {
    const target = new Uint8Array([0x2f, 0x72, 0xed, 0xa0, 0x80]);
    const answer = await sendRawRequest(server.url, { method: "GET", target, headers: [] }, { timeoutMs: 5000 });
    assert.equal(answer.outcome, "answered");
    assert.equal(answer.status, 400);
    assert.equal(answer.body, "bad");
    assert.ok(server.bytes().subarray(0, 9).equals(Buffer.from([0x47, 0x45, 0x54, 0x20, 0x2f, 0x72, 0xed, 0xa0, 0x80])));
  } finally {
    await server.close();
  }
});

test("headFirstMs lets an early answer arrive before the body is sent", async () => {
  const request = { method: "POST", target: "/x", headers: [] as [string, string][], body: new Uint8Array(8 << 20) };
  const headLength = encodeRawRequest(request, "h").length - request.body.length;
  const server = await rawServer("HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n", 10);
  try {
    const answer = await sendRawRequest(server.url, request, { timeoutMs: 5000, headFirstMs: 200 });
    assert.equal(answer.status, 413);
    assert.ok(server.bytes().length < headLength + 1024, "the 8 MiB body was never sent");
  } finally {
    await server.close();
  }
});

test("a withheld end never completes: the client gives up with a timeout", async () => {
  const server = await rawServer("HTTP/1.1 200 OK\r\n\r\n", 1 << 30);
  try {
    const answer = await sendRawRequest(server.url, { method: "GET", target: "/", headers: [] }, { timeoutMs: 200, withholdLastBytes: 2, slow: { chunkBytes: 8, intervalMs: 5 } });
    assert.equal(answer.outcome, "timeout");
    assert.equal(answer.status, null);
    assert.ok(!server.bytes().toString("latin1").endsWith("\r\n\r\n"));
  } finally {
    await server.close();
  }
});
