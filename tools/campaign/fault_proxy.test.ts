import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { startFaultProxy } from "./fault_proxy.ts";

/** An upstream that records each request body it received completely, and the ones that were aborted. */
async function startUpstream() {
  const complete: string[] = [];
  let aborted = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      complete.push(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(201, { "content-type": "text/plain" });
      res.end(`stored ${Buffer.concat(chunks).length}`);
    });
    req.on("aborted", () => aborted++);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    complete,
    aborted: () => aborted,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function post(url: string, body: string): Promise<{ status: number; text: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: "POST", headers: { "content-length": Buffer.byteLength(body) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (e) => resolve({ error: e.message }));
    });
    req.on("error", (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(body);
  });
}

test("each fault does what it says: pass, drop, 500, cut request, lost response, stall", async () => {
  const upstream = await startUpstream();
  const proxy = await startFaultProxy({
    target: upstream.url, seed: 1, stallMs: 50,
    sequence: ["pass", "drop", "error-500", "cut-request", "cut-response", "stall", "pass"],
  });
  try {
    const body = "x".repeat(64 * 1024);
    const passed = await post(proxy.url + "/upload", body);
    assert.deepEqual(passed, { status: 201, text: `stored ${body.length}` });
    assert.ok("error" in (await post(proxy.url + "/upload", body)), "drop: the client sees a connection error");
    const injected = await post(proxy.url + "/upload", body);
    assert.ok("status" in injected && injected.status === 500);
    assert.ok("error" in (await post(proxy.url + "/upload", body)), "cut request: the client sees a connection error");
    assert.ok("error" in (await post(proxy.url + "/upload", "lost-answer")), "lost response: the client sees a connection error");
    assert.ok("error" in (await post(proxy.url + "/upload", body)), "stall: dropped after stallMs");
    assert.equal((await post(proxy.url + "/upload", "ok") as { status: number }).status, 201);
    // The upstream got the passes and the request whose answer was lost, in full; the cut upload never completed.
    assert.deepEqual(upstream.complete.map((b) => b.length), [body.length, "lost-answer".length, 2]);
    const stats = proxy.stats();
    assert.equal(stats.requests, 7);
    assert.deepEqual(stats.byFault, { pass: 2, drop: 1, stall: 1, "cut-request": 1, "cut-response": 1, "error-500": 1 });
    assert.ok(stats.bytesForwarded > body.length && stats.bytesForwarded < 3 * body.length);
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

test("the weighted schedule is replayed exactly from the seed", async () => {
  const upstream = await startUpstream();
  const runs: Record<string, number>[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const proxy = await startFaultProxy({ target: upstream.url, seed: 42, weights: { drop: 0.3, error500: 0.3 } });
      const outcomes: string[] = [];
      for (let n = 0; n < 30; n++) {
        const r = await post(proxy.url + "/x", "payload");
        outcomes.push("error" in r ? "error" : String(r.status));
      }
      runs.push({ ...proxy.stats().byFault });
      await proxy.close();
      assert.ok(outcomes.includes("201") && outcomes.includes("500") && outcomes.includes("error"));
    }
    assert.deepEqual(runs[0], runs[1]);
  } finally {
    await upstream.close();
  }
});

test("setWeights turns faults off, and nonsense weights are refused", async () => {
  const upstream = await startUpstream();
  const proxy = await startFaultProxy({ target: upstream.url, seed: 3, weights: { error500: 1 } });
  try {
    assert.equal((await post(proxy.url, "a") as { status: number }).status, 500);
    proxy.setWeights({});
    assert.equal((await post(proxy.url, "a") as { status: number }).status, 201);
    assert.throws(() => proxy.setWeights({ drop: 0.7, stall: 0.7 }), RangeError);
    assert.throws(() => proxy.setWeights({ drop: -1 }), RangeError);
  } finally {
    await proxy.close();
    await upstream.close();
  }
});
