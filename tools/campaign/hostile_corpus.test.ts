import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { generateHostileCorpus, type HostileCase, hostileClasses, judgeAnswer } from "./hostile_corpus.ts";
import { sendRawRequest } from "./raw_http.ts";

const ctx = {
  seed: 11, runId: "run-1", commandId: "cmd-1", protocolId: "proto-1", token: "secret", bodyLimitBytes: 64 * 1024,
  slowIntervalMs: 20, protocolFile: { name: "p.json", bytes: new TextEncoder().encode('{"metadata":{}}') },
};

test("the corpus is generated from its seed: same seed, same cases; another seed, other bytes", () => {
  const a = generateHostileCorpus(ctx);
  const b = generateHostileCorpus(ctx);
  const c = generateHostileCorpus({ ...ctx, seed: 12 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((x) => x.request.body), c.map((x) => x.request.body));
  assert.equal(new Set(a.map((x) => x.id)).size, a.length, "case ids are unique");
});

test("every class is present, and every string of every JSON body gets a lone surrogate and invalid UTF-8", () => {
  const corpus = generateHostileCorpus(ctx);
  for (const cls of hostileClasses) assert.ok(corpus.some((c) => c.class === cls), `class ${cls} present`);
  const commandStrings = corpus.filter((c) => c.class === "lone-surrogate" && c.id.startsWith("lone-surrogate POST /runs/:id/commands data."));
  assert.ok(commandStrings.length >= 11, `a surrogate per command string field (${commandStrings.length})`);
  const raw = corpus.find((c) => c.class === "invalid-utf8" && c.request.body)!;
  assert.throws(() => new TextDecoder("utf-8", { fatal: true }).decode(raw.request.body), "raw invalid bytes on the wire");
  const ids = corpus.filter((c) => c.class === "path-traversal" && typeof c.request.target !== "string");
  assert.ok(ids.length >= 17 * 3, "traversal in the id of every path route");
});

test("judgeAnswer: never a 5xx; 2xx only where allowed; slow loris may be held", () => {
  const four = { expected: "4xx" } as HostileCase;
  const either = { expected: "2xx-or-4xx" } as HostileCase;
  const held = { expected: "4xx-or-held" } as HostileCase;
  const a = (status: number | null, outcome: "answered" | "closed" | "reset" | "timeout" = "answered") => ({ status, outcome, body: "", ms: 1 });
  assert.deepEqual(judgeAnswer(four, a(422)), { ok: true, answeredAs: "422" });
  assert.equal(judgeAnswer(four, a(200)).ok, false);
  assert.equal(judgeAnswer(four, a(500)).ok, false);
  assert.equal(judgeAnswer(four, a(null, "closed")).ok, false);
  assert.equal(judgeAnswer(either, a(200)).ok, true);
  assert.equal(judgeAnswer(either, a(503)).ok, false);
  assert.equal(judgeAnswer(held, a(null, "timeout")).ok, true);
  assert.equal(judgeAnswer(held, a(408)).ok, true);
  assert.equal(judgeAnswer(held, a(500)).ok, false);
});

/** True when a string has no unpaired surrogate. */
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

/** A strict little server: what a correct robot app does with each class, in 60 lines. */
function strictHandler(req: IncomingMessage, res: ServerResponse): void {
  const answer = (status: number) => {
    if (!res.headersSent) res.writeHead(status, { "content-type": "application/json", connection: "close" }).end("{}");
  };
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > ctx.bodyLimitBytes) return answer(413);
  const rawPath = Buffer.from(req.url ?? "", "latin1");
  let path: string;
  try {
    path = new TextDecoder("utf-8", { fatal: true }).decode(rawPath);
    path = decodeURIComponent(path);
  } catch {
    return answer(400);
  }
  const url = new URL(path, "http://x");
  if (!wellFormed(url.pathname) || /[\0\\]|%|\.\./.test(url.pathname) || url.pathname.length > 2000) return answer(400);
  for (const key of ["pageLength", "cursor"]) {
    const value = url.searchParams.get(key);
    if (value !== null && !/^-?\d+$/.test(value)) return answer(422);
  }
  const mutating = req.method !== "GET";
  if (mutating && req.headers.authorization !== `Bearer ${ctx.token}`) return answer(401);
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    if (!mutating) return answer(/^\/runs\/run-1\/commands$|^\/runs$|^\/protocols$/.test(url.pathname) ? 200 : 404);
    if (url.pathname === "/protocols") return answer(400);
    let doc: unknown;
    try {
      const text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
      if (/[[{]{200}/.test(text.replace(/"data":/g, "["))) return answer(422);
      doc = JSON.parse(text, (_k, v: unknown) => {
        if (typeof v === "number" && !Number.isFinite(v)) throw new RangeError("number beyond double range");
        if (typeof v === "string" && !wellFormed(v)) throw new RangeError("lone surrogate");
        if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).some((k) => !wellFormed(k))) throw new RangeError("key");
        return v;
      });
    } catch {
      return answer(400);
    }
    const data = (doc as { data?: unknown } | null)?.data;
    if (!data || typeof data !== "object" || Array.isArray(data)) return answer(422);
    return answer(422);
  });
}

async function runCorpus(handler: (req: IncomingMessage, res: ServerResponse) => void, timeoutMs = 5_000) {
  const server = createServer(handler);
  server.on("clientError", (_e, socket) => socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const failures: string[] = [];
  try {
    for (const c of generateHostileCorpus(ctx)) {
      const answer = await sendRawRequest(url, c.request, { timeoutMs: c.class === "slow-loris" ? 150 : timeoutMs, ...c.send });
      const verdict = judgeAnswer(c, answer);
      if (!verdict.ok) failures.push(`${c.id}: ${verdict.answeredAs}`);
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return failures;
}

test("a strict server answers the whole corpus as expected, over real sockets", async () => {
  assert.deepEqual(await runCorpus(strictHandler), []);
});

test("a sloppy server that accepts everything fails the corpus", async () => {
  const failures = await runCorpus((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { connection: "close" }).end("{}"));
  }, 300);
  assert.ok(failures.some((f) => f.startsWith("lone-surrogate POST /runs/:id/commands")));
  assert.ok(failures.some((f) => f.startsWith("number-range")));
  assert.ok(failures.some((f) => f.startsWith("bad-token")));
});
