// Invalid UTF-8 is refused with 422 and the error envelope, changing nothing: in JSON bodies, in multipart file
// and field names, in path ids (raw bytes and percent-encoded). Raw requests over a socket: fetch would not send
// such bytes. Valid multi-byte UTF-8 is still accepted everywhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import { checkMultipartUtf8, decodeUtf8Strict, targetBytes } from "./utf8_request.ts";
import { client, withRobot } from "./robot_test_support.ts";

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const concat = (...parts: (Uint8Array | number[])[]): Uint8Array => Buffer.concat(parts.map((p) => Buffer.from(p as Uint8Array)));
const BAD: number[][] = [[0xed, 0xa0, 0x80], [0x80], [0xff], [0xc0, 0xaf], [0xc3, 0x28], [0xf8, 0x88, 0x80, 0x80, 0x80]];

test("the strict decoder refuses every invalid form and keeps valid text", () => {
  for (const bad of BAD) assert.equal(decodeUtf8Strict(concat(enc("a"), bad)), undefined, String(bad));
  assert.equal(decodeUtf8Strict(enc("ü \u{1F600}")), "ü \u{1F600}");
  assert.deepEqual([...targetBytes("/runs/r%C3%BC\xff?x=%ed")], [...enc("/runs/rü"), 0xff, ...enc("?x="), 0xed]);
  const part = (name: Uint8Array) => concat(enc('--b\r\nContent-Disposition: form-data; name="files"; filename="'), name, enc('"\r\n\r\n'), [0xff, 0xfe], enc("\r\n--b--\r\n"));
  assert.throws(() => checkMultipartUtf8(part(concat(enc("p"), [0xed, 0xa0, 0x80])), "multipart/form-data; boundary=b"), /not valid UTF-8/);
  checkMultipartUtf8(part(enc("prötocol.json")), "multipart/form-data; boundary=b"); // binary file content is fine
  const field = concat(enc('--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nk'), [0xff], enc("\r\n--b--\r\n"));
  assert.throws(() => checkMultipartUtf8(field, "multipart/form-data; boundary=b"), /text field/);
});

/** Sends one raw HTTP/1.1 request; resolves with the status and body. */
function rawRequest(url: string, method: string, target: Uint8Array, headers: Record<string, string>, body: Uint8Array = new Uint8Array()): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf("\r\n\r\n") + 4) });
    });
    const head = Object.entries({ host: `${hostname}:${port}`, connection: "close", "content-length": String(body.byteLength), ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    socket.end(concat(enc(`${method} `), target, enc(` HTTP/1.1\r\n${head}\r\n`), body));
  });
}

function assertEnvelope(answer: { status: number; body: string }, what: string, status = 422, code = /^ROBOT_INVALID_(REQUEST|ID)$/): void {
  assert.equal(answer.status, status, `${what}: ${answer.status} ${answer.body.slice(0, 300)}`);
  const parsed = JSON.parse(answer.body) as { errors: { id: string; meta: { code: string } }[] };
  assert.match(parsed.errors[0]!.meta.code, code, what);
}

test("invalid UTF-8 in bodies, multipart names and path ids answers 422 and changes nothing", { timeout: 180_000 }, async () => {
  await withRobot(async (robot) => {
    const call = client(robot);
    const runId = (await call("POST", "/runs", { data: {} })).body.data.id as string;
    assert.equal((await call("POST", `/runs/${runId}/actions`, { data: { actionType: "play" } })).status, 201);
    const json = { "content-type": "application/json" };
    const snapshot = async () => JSON.stringify([(await call("GET", `/runs/${runId}`)).body.data.commandCount, (await call("GET", "/protocols")).body.data, (await call("GET", "/runs")).body.meta]);
    const before = await snapshot();

    for (const bad of BAD) {
      const body = concat(enc('{"data":{"id":"c-'), bad, enc('","commandType":"home","params":{"note":"x'), bad, enc('"}}}'));
      assertEnvelope(await rawRequest(robot.url, "POST", enc(`/runs/${runId}/commands`), json, body), `command body with ${bad}`);
      const key = concat(enc('{"data":{"id":"k","commandType":"home","params":{"k'), bad, enc('":1}}}'));
      assertEnvelope(await rawRequest(robot.url, "POST", enc(`/runs/${runId}/commands`), json, key), `command key with ${bad}`);
      assertEnvelope(await rawRequest(robot.url, "POST", enc("/runs"), json, concat(enc('{"data":{"protocolId":"p'), bad, enc('"}}'))), `run body with ${bad}`);
      for (const [method, before, after] of [["GET", "/runs/", ""], ["DELETE", "/runs/", ""], ["GET", `/runs/${runId}/commands/`, ""], ["DELETE", "/protocols/", ""]] as const) {
        const raw = await rawRequest(robot.url, method, concat(enc(`${before}r`), bad, enc(after)), {});
        // Node's parser refuses raw non-ASCII bytes in a target before any route: 400, still the envelope.
        assertEnvelope(raw, `${method} ${before} raw ${bad}`, 400, /^ROBOT_MALFORMED_REQUEST$/);
        const escaped = bad.map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
        assertEnvelope(await rawRequest(robot.url, method, enc(`${before}r${escaped}${after}`), {}), `${method} ${before} escaped ${bad}`);
      }
    }
    const boundary = "----deckhandutf8";
    const file = await readFile(new URL("../../fixtures/opentrons/analysis-no-pipettes.json", import.meta.url));
    const upload = (name: Uint8Array) => concat(enc(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="`), name,
      enc('"\r\nContent-Type: application/json\r\n\r\n'), file, enc(`\r\n--${boundary}--\r\n`));
    assertEnvelope(await rawRequest(robot.url, "POST", enc("/protocols"), { "content-type": `multipart/form-data; boundary=${boundary}` }, upload(concat(enc("p"), [0xed, 0xa0, 0x80], enc(".json")))), "multipart file name");
    assert.equal(await snapshot(), before, "the refused requests changed nothing");

    // Valid multi-byte UTF-8 still passes, byte-exact.
    const ok = await rawRequest(robot.url, "POST", enc(`/runs/${runId}/commands`), json, enc('{"data":{"id":"c-ü","commandType":"home","params":{"note":"😀"}}}'));
    assert.equal(ok.status, 201, ok.body);
    const got = await call("GET", `/runs/${runId}/commands/${encodeURIComponent("c-ü")}`);
    assert.equal(got.text, '{"data":{"id":"c-ü","commandType":"home","params":{"note":"😀"}}}');
  });
});
