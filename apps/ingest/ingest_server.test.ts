import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startIngestServer, type IngestServer } from "./mod.ts";

async function withServer(fn: (server: IngestServer, dir: string, root: string) => Promise<void>, token = "t0ken"): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "deckhand-ingest-"));
  const dir = join(root, "store");
  await mkdir(dir);
  const server = await startIngestServer({ host: "127.0.0.1", port: 0, dir, token, maxObjectBytes: 1 << 20 });
  try {
    await fn(server, dir, root);
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** A raw request, so paths reach the server exactly as written (fetch would normalise `..`). */
function raw(url: string, method: string, path: string, headers: Record<string, string>, body?: Uint8Array): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode!));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function uploadBody(bytes: Uint8Array): Uint8Array {
  return Buffer.concat([bytes, createHash("sha256").update(bytes).digest()]);
}

const auth = { authorization: "Bearer t0ken" };

test("every /v1 route needs the bearer token; a wrong or missing token gets 401", async () => {
  await withServer(async (server) => {
    assert.equal(await raw(server.url, "GET", "/v1/health", {}), 401);
    assert.equal(await raw(server.url, "GET", "/v1/health", { authorization: "Bearer t0ke" }), 401);
    assert.equal(await raw(server.url, "GET", "/v1/health", { authorization: "Basic t0ken" }), 401);
    assert.equal(await raw(server.url, "PUT", "/v1/uploads/k", { "upload-offset": "0", "upload-length": "3" }, uploadBody(Buffer.from("abc"))), 401);
    assert.equal(await raw(server.url, "GET", "/v1/health", auth), 200);
  });
});

test("a well-formed upload is stored under its SHA-256 and confirmed by HEAD /v1/objects", async () => {
  await withServer(async (server, dir) => {
    const bytes = randomBytes(1000);
    const sha = createHash("sha256").update(bytes).digest("hex");
    const status = await raw(server.url, "PUT", "/v1/uploads/good-key", { ...auth, "upload-offset": "0", "upload-length": "1000" }, uploadBody(bytes));
    assert.equal(status, 201);
    assert.deepEqual(await readdir(join(dir, "objects")), [sha]);
    assert.equal(await raw(server.url, "HEAD", `/v1/objects/${sha}`, auth), 200);
  });
});

test("hostile names and paths are refused and nothing is written outside the store", async () => {
  await withServer(async (server, dir, root) => {
    const body = uploadBody(Buffer.from("abc"));
    const headers = { ...auth, "upload-offset": "0", "upload-length": "3" };
    const keys = [
      "..%2F..%2Fescaped", "%2e%2e", "..", "a%00b", "%ED%A0%80", "%F0%9F%98%80", "x".repeat(129), "dot.dot", "sp%20ace",
    ];
    for (const key of keys) {
      const status = await raw(server.url, "PUT", `/v1/uploads/${key}`, headers, body);
      assert.ok(status === 400 || status === 404, `PUT ${key}: ${status}`);
      const head = await raw(server.url, "HEAD", `/v1/uploads/${key}?size=3`, auth);
      assert.ok(head === 400 || head === 404, `HEAD ${key}: ${head}`);
    }
    for (const sha of ["..%2F..%2Fetc%2Fpasswd", "ABCDEF", "0".repeat(65), "%2e%2e%2fobjects"]) {
      const status = await raw(server.url, "HEAD", `/v1/objects/${sha}`, auth);
      assert.ok(status === 400 || status === 404, `HEAD objects/${sha}: ${status}`);
    }
    assert.equal(await raw(server.url, "PUT", "/v1/uploads/../../escaped", headers, body), 404);
    assert.deepEqual((await readdir(root)).sort(), ["store"]);
    assert.deepEqual(await readdir(join(dir, "objects")).catch(() => []), []);
  });
});

test("bad sizes and offsets are refused: non-numbers, past 2^53, past the limit, offset past length, long bodies", async () => {
  await withServer(async (server, dir) => {
    const body = uploadBody(Buffer.from("abc"));
    const put = (offset: string, length: string, b = body) =>
      raw(server.url, "PUT", "/v1/uploads/k1", { ...auth, "upload-offset": offset, "upload-length": length }, b);
    assert.equal(await put("-1", "3"), 400);
    assert.equal(await put("0", "3.0"), 400);
    assert.equal(await put("0", "1e3"), 400);
    assert.equal(await put("0", "99999999999999999999"), 400);
    assert.equal(await put("0", String(2 << 20)), 413);
    assert.equal(await put("4", "3"), 400);
    assert.equal(await put("0", ""), 400);
    assert.equal(await put("0", "2", body), 400, "more bytes than Upload-Length plus the hash");
    assert.equal(await raw(server.url, "HEAD", "/v1/uploads/k1?size=-5", auth), 400);
    assert.equal(await raw(server.url, "HEAD", "/v1/uploads/k1?size=1e9", auth), 400);
    assert.deepEqual(await readdir(join(dir, "objects")).catch(() => []), []);
  });
});

test("a body whose trailing hash does not match is refused with 422 and not stored", async () => {
  await withServer(async (server, dir) => {
    const bytes = Buffer.from("hello world");
    const body = Buffer.concat([bytes, randomBytes(32)]);
    const status = await raw(server.url, "PUT", "/v1/uploads/k2", { ...auth, "upload-offset": "0", "upload-length": String(bytes.length) }, body);
    assert.equal(status, 422);
    assert.deepEqual(await readdir(join(dir, "objects")), []);
  });
});
