/**
 * The generated hostile-input corpus of the campaign: for every route that takes an id, a query, a JSON body or a
 * file name, requests that are malformed, oversized, of the wrong type, invalid Unicode (lone surrogates as JSON
 * escapes, and invalid UTF-8 as raw bytes on the wire), nested too deep, with numbers beyond double range, huge or
 * foreign page cursors, path traversal, or trickled slow-loris style. Generated from a seed (which variant, where
 * in a string, how deep, how long), not hand-picked; each case carries its class and the answer it must get.
 *
 * @example
 * ```ts
 * const corpus = generateHostileCorpus({ seed: 1, runId, protocolId, token: "t", bodyLimitBytes: 1 << 20 });
 * for (const c of corpus) judgeAnswer(c, await sendRawRequest(url, c.request, { timeoutMs: 10_000, ...c.send }));
 * ```
 */
import type { RawAnswer, RawRequest, RawSendOptions } from "./raw_http.ts";
import { type JsonValue, leafPaths, poisonJson } from "./poisoned_json.ts";
import { createSeededRandom, type SeededRandom } from "./seeded_random.ts";

/** The classes of hostile input, in report order. */
export const hostileClasses = [
  "malformed-json", "wrong-type", "lone-surrogate", "invalid-utf8", "deep-nesting", "number-range",
  "oversized-body", "huge-page-length", "bad-cursor", "path-traversal", "slow-loris", "bad-token",
] as const;

/** One class of hostile input. */
export type HostileClass = (typeof hostileClasses)[number];

/**
 * The answer a case must get. `4xx`: a client error status. `2xx-or-4xx`: either (for inputs the Opentrons API
 * defines as valid, such as a negative cursor, which is clamped), never 5xx. `4xx-or-held`: a 4xx, a close, or no
 * answer yet when the client gives up (a slow-loris request), while the server keeps answering others.
 */
export type ExpectedAnswer = "4xx" | "2xx-or-4xx" | "4xx-or-held";

/** One hostile request and what it must get. */
export interface HostileCase {
  /** Unique, stable name: class, route and spot. */
  readonly id: string;
  readonly class: HostileClass;
  readonly request: RawRequest;
  /** Slow-loris sending, or a request cut short on purpose. */
  readonly send?: Pick<RawSendOptions, "slow" | "withholdLastBytes" | "headFirstMs">;
  readonly expected: ExpectedAnswer;
  /** True when the route writes: a refused request must have changed nothing. */
  readonly mutating: boolean;
  /** A file name that must never appear outside the server's directories (path traversal in a file name). */
  readonly escapeMarker?: string;
}

/** What the corpus is generated against. */
export interface HostileCorpusContext {
  readonly seed: number;
  /** The current run (commands and actions go to it; a refused request must leave it unchanged). */
  readonly runId: string;
  /** A command id of that run. */
  readonly commandId: string;
  /** An existing protocol id. */
  readonly protocolId: string;
  /** An existing analysis id of that protocol, if any. */
  readonly analysisId?: string;
  /** A protocol file the server accepts, used to carry hostile file names. */
  readonly protocolFile: { readonly name: string; readonly bytes: Uint8Array };
  /** The bearer token of mutating routes, if the server has one. */
  readonly token?: string;
  /** The server's request-body limit in bytes; oversized cases go past it (default 1 MiB). */
  readonly bodyLimitBytes?: number;
  /** Milliseconds between slow-loris chunks (default 200). */
  readonly slowIntervalMs?: number;
}

const enc = (s: string) => new TextEncoder().encode(s);
const json = (v: JsonValue) => enc(JSON.stringify(v));

/** Lone-surrogate strings as JSON text: a JSON escape that parses to an unpaired UTF-16 code unit. */
function surrogateString(random: SeededRandom): Uint8Array {
  const unit = random.pick(["\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\ud83d"]);
  const around = random.pick(["", "a", "id-", "x".repeat(random.int(1, 40))]);
  return enc(random.pick([`"${unit}"`, `"${around}${unit}"`, `"${unit}${around}"`, `"${around}${unit}${around}"`]));
}

/** Invalid UTF-8 inside a JSON string: WTF-8 surrogates, a lone continuation byte, 0xFF, an overlong slash. */
function invalidUtf8(random: SeededRandom): Uint8Array {
  return new Uint8Array(random.pick([[0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0x80], [0xff], [0xc0, 0xaf], [0xc3, 0x28], [0xf8, 0x88, 0x80, 0x80, 0x80]]));
}

function quoted(inner: Uint8Array | number[]): Uint8Array {
  return new Uint8Array([0x22, ...inner, 0x22]);
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return new Uint8Array(parts.flatMap((p) => [...p]));
}

/** The JSON-body routes, each with a valid-looking base body and the fields the server must type-check. */
function bodyRoutes(ctx: HostileCorpusContext, uniq: () => string) {
  const command = (): JsonValue => ({
    data: {
      id: uniq(), key: uniq(), commandType: "aspirate", status: "succeeded",
      createdAt: "2026-01-01T00:00:00.000Z", startedAt: "2026-01-01T00:00:00.000Z", completedAt: "2026-01-01T00:00:01.000Z",
      params: { pipetteId: "pipette-1", labwareId: "plate-1", wellName: "A1", volume: 10, flowRate: 92.86, wellLocation: { origin: "top", offset: { x: 0, y: 0, z: -1 } } },
      result: { volume: 10 },
    },
  });
  return [
    { name: "POST /runs/:id/commands", method: "POST", path: `/runs/${ctx.runId}/commands`, base: command, typed: [["data", "id"], ["data", "commandType"]], keys: true, storedAsGiven: false },
    { name: "POST /runs/:id/actions", method: "POST", path: `/runs/${ctx.runId}/actions`, base: (): JsonValue => ({ data: { actionType: "play" } }), typed: [["data", "actionType"]], keys: false, storedAsGiven: false },
    { name: "PATCH /runs/:id", method: "PATCH", path: `/runs/${ctx.runId}`, base: (): JsonValue => ({ data: { current: false } }), typed: [["data", "current"]], keys: false, storedAsGiven: false },
    { name: "POST /runs", method: "POST", path: "/runs", base: (): JsonValue => ({ data: { protocolId: ctx.protocolId } }), typed: [["data", "protocolId"]], keys: false, storedAsGiven: false },
    {
      name: "POST /protocols/:id/analyses", method: "POST", path: `/protocols/${ctx.protocolId}/analyses`,
      base: (): JsonValue => ({ data: { id: uniq(), status: "completed", result: "ok", robotType: "OT-2 Standard", commands: [], labware: [], pipettes: [], modules: [], liquids: [], errors: [], metadata: { protocolName: "hostile" } } }),
      typed: [["data", "status"]], keys: true, storedAsGiven: true,
    },
  ] as const;
}

/** Generates the corpus; the same context and seed give the same cases. */
export function generateHostileCorpus(ctx: HostileCorpusContext): HostileCase[] {
  const random = createSeededRandom(ctx.seed);
  const limit = ctx.bodyLimitBytes ?? 1 << 20;
  const slowMs = ctx.slowIntervalMs ?? 200;
  let counter = 0;
  const uniq = () => `hostile-${ctx.seed}-${++counter}`;
  const auth: [string, string][] = ctx.token ? [["Authorization", `Bearer ${ctx.token}`]] : [];
  const jsonHeaders: [string, string][] = [["Content-Type", "application/json"], ...auth];
  const cases: HostileCase[] = [];
  const add = (c: HostileCase) => cases.push(c);

  for (const route of bodyRoutes(ctx, uniq)) {
    const r = (cls: HostileClass, spot: string, body: Uint8Array, expected: ExpectedAnswer = "4xx"): HostileCase => ({
      id: `${cls} ${route.name} ${spot}`, class: cls, mutating: true, expected,
      request: { method: route.method, target: route.path, headers: jsonHeaders, body },
    });
    const base = route.base();
    const text = JSON.stringify(base);
    // Malformed JSON: cut at a seeded point, trailing garbage, JS-isms, nothing at all.
    add(r("malformed-json", "truncated", enc(text.slice(0, random.int(1, text.length - 1)))));
    add(r("malformed-json", "trailing-garbage", enc(text + random.pick(["}", "]", ",", "x", " {}"]))));
    add(r("malformed-json", "single-quotes", enc(text.replaceAll('"', "'"))));
    add(r("malformed-json", "unquoted-keys", enc(text.replace(/"([a-zA-Z]+)":/g, "$1:"))));
    add(r("malformed-json", "NaN-literal", enc(text.replace(/^\{/, '{"nan":NaN,'))));
    add(r("malformed-json", "empty-body", new Uint8Array(0)));
    // Wrong shapes of the whole body, and wrong types of each field the server must check.
    for (const shape of [null, [], "data", 42, true, { data: null }, { data: "x" }, { data: 7 }] as JsonValue[]) {
      add(r("wrong-type", `body=${JSON.stringify(shape)}`, json(shape)));
    }
    for (const path of route.typed) {
      for (const wrong of ["7", "true", "[]", "{}", '""']) {
        if (route.name === "PATCH /runs/:id" && wrong === "true") continue; // current: true is a valid (refused-by-state) value
        // An analysis is a document recorded as given: a wrong type in it may be stored (then read back as a bad record).
        add(r("wrong-type", `${path.join(".")}=${wrong}`, poisonJson(base, path, "value", enc(wrong)), route.storedAsGiven ? "2xx-or-4xx" : "4xx"));
      }
    }
    // Lone surrogates (JSON escapes) and invalid UTF-8 (raw bytes) in every string and, where stored, every key.
    for (const path of leafPaths(base, "string")) {
      add(r("lone-surrogate", `${path.join(".")}`, poisonJson(base, path, "value", surrogateString(random))));
      add(r("invalid-utf8", `${path.join(".")}`, poisonJson(base, path, "value", quoted(invalidUtf8(random)))));
    }
    if (route.keys) {
      for (const path of leafPaths(base, "key").filter((p) => p.length > 2)) {
        add(r("lone-surrogate", `key ${path.join(".")}`, poisonJson(base, path, "key", surrogateString(random))));
        add(r("invalid-utf8", `key ${path.join(".")}`, poisonJson(base, path, "key", quoted(concat(enc("k"), invalidUtf8(random))))));
      }
    }
    // Numbers beyond double range, in every number (the run-level routes have none: put one where a value goes).
    const numbers = leafPaths(base, "number");
    const numberSpots = numbers.length > 0 ? numbers : route.typed;
    for (const path of numberSpots) {
      const big = random.pick(["1e400", "-1e400", "1e309", "-2e308", "123e99999"]);
      add(r("number-range", `${path.join(".")}=${big}`, poisonJson(base, path, "value", enc(big))));
    }
    // Deep nesting: inside a field, within the size limit, and as the whole body.
    const depth = random.int(2_000, 20_000);
    const nested = concat(enc("[".repeat(depth)), enc("]".repeat(depth)));
    add(r("deep-nesting", `field depth ${depth}`, poisonJson(base, route.typed[0]!, "value", nested)));
    const objDepth = random.int(1_000, 5_000);
    add(r("deep-nesting", `body depth ${objDepth}`, enc('{"data":'.repeat(objDepth) + "1" + "}".repeat(objDepth))));
    // Oversized: bytes past the limit while the string is short in UTF-16 units; and a lying Content-Length.
    const chars = Math.ceil(limit / 2);
    add({ ...r("oversized-body", `${chars} three-byte chars (${chars * 3} bytes)`, poisonJson(base, route.typed[0]!, "value", enc(JSON.stringify("€".repeat(chars))))), send: { headFirstMs: 300 } });
    add({
      id: `oversized-body ${route.name} declared 1 TiB`, class: "oversized-body", mutating: true, expected: "4xx",
      request: { method: route.method, target: route.path, headers: [...jsonHeaders, ["Content-Length", String(2 ** 40)]], body: enc(text) },
    });
    // Slow loris: the body trickled a few bytes at a time and never finished.
    add({
      id: `slow-loris ${route.name} body never finished`, class: "slow-loris", mutating: true, expected: "4xx-or-held",
      request: { method: route.method, target: route.path, headers: [...jsonHeaders, ["Content-Length", String(text.length + 100)]], body: enc(text) },
      send: { slow: { chunkBytes: random.int(1, 4), intervalMs: slowMs } },
    });
  }

  // Ids in every path: lone surrogates (percent-encoded and raw), invalid UTF-8, traversal, NUL, overlong.
  const hostileIds: [HostileClass, string, Uint8Array][] = [
    ["lone-surrogate", "percent-encoded surrogate", enc(`run%ED%A0%80${random.int(0, 99)}`)],
    ["lone-surrogate", "percent-encoded %uD800", enc("%uD800")],
    ["invalid-utf8", "raw surrogate bytes", concat(enc("r"), [0xed, 0xa0, 0x80])],
    ["invalid-utf8", "raw invalid bytes", concat(enc("r"), invalidUtf8(random))],
    ["path-traversal", "encoded ../", enc("..%2F..%2F..%2F..%2Fetc%2Fpasswd")],
    ["path-traversal", "double-encoded ../", enc("%252E%252E%252F%252E%252E%252Fetc%252Fpasswd")],
    ["path-traversal", "encoded backslashes", enc("..%5C..%5C..%5Cwindows")],
    ["path-traversal", "NUL byte", enc("run%00.json")],
    ["oversized-body", "overlong id", enc("a".repeat(random.int(9_000, 70_000)))],
  ];
  const pathRoutes: [string, string, boolean][] = [
    ["GET", "/runs/{id}", false], ["GET", "/runs/{id}/commands", false], ["GET", `/runs/{id}/commands/${ctx.commandId}`, false],
    ["GET", `/runs/${ctx.runId}/commands/{id}`, false], ["GET", "/runs/{id}/report.json", false], ["GET", "/runs/{id}/report.csv", false],
    ["GET", "/runs/{id}/report.html", false], ["DELETE", "/runs/{id}", true], ["PATCH", "/runs/{id}", true],
    ["POST", "/runs/{id}/actions", true], ["POST", "/runs/{id}/commands", true], ["GET", "/protocols/{id}", false],
    ["DELETE", "/protocols/{id}", true], ["GET", "/protocols/{id}/analyses", false],
    ["GET", `/protocols/${ctx.protocolId}/analyses/{id}`, false], ["GET", `/protocols/${ctx.protocolId}/analyses/{id}/asDocument`, false],
    ["GET", "/capture/files/{id}", false],
  ];
  const bodies: Record<string, JsonValue> = {
    "PATCH /runs/{id}": { data: { current: false } },
    "POST /runs/{id}/actions": { data: { actionType: "stop" } },
    "POST /runs/{id}/commands": { data: { id: "c", commandType: "home", status: "succeeded" } },
  };
  for (const [method, template, mutating] of pathRoutes) {
    const [before, after] = template.split("{id}") as [string, string];
    for (const [cls, what, id] of hostileIds) {
      const body = bodies[`${method} ${template}`];
      add({
        id: `${cls} ${method} ${template} ${what}`, class: cls, mutating, expected: "4xx",
        request: {
          method, target: concat(enc(before), id, enc(after)),
          headers: body ? jsonHeaders : auth, ...(body ? { body: json(body) } : {}),
        },
      });
    }
  }

  // Huge, negative, non-integer and foreign page lengths and cursors.
  const pageLengths: [string, ExpectedAnswer][] = [
    ["1e309", "4xx"], ["NaN", "4xx"], ["abc", "4xx"], ["1.5", "4xx"], ["0x10", "4xx"], ["", "4xx"], ["%ED%A0%80", "4xx"],
    [String(random.int(2 ** 31, 2 ** 40)), "2xx-or-4xx"], ["99999999999999999999999999", "2xx-or-4xx"], ["-1", "2xx-or-4xx"],
  ];
  const cursors: [string, ExpectedAnswer][] = [
    ["abc", "4xx"], ["1e400", "4xx"], ["1.5", "4xx"], ["%ED%A0%80", "4xx"], [String(-random.int(1, 1e6)), "2xx-or-4xx"],
    ["99999999999999999999999999", "2xx-or-4xx"], [String(random.int(1_000, 1e9)), "2xx-or-4xx"],
  ];
  for (const [value, expected] of pageLengths) {
    for (const path of [`/runs/${ctx.runId}/commands`, "/runs"]) {
      add({ id: `huge-page-length GET ${path.replace(ctx.runId, ":id")}?pageLength=${value}`, class: "huge-page-length", mutating: false, expected, request: { method: "GET", target: `${path}?pageLength=${value}`, headers: [] } });
    }
  }
  for (const [value, expected] of cursors) {
    add({ id: `bad-cursor GET /runs/:id/commands?cursor=${value}`, class: "bad-cursor", mutating: false, expected, request: { method: "GET", target: `/runs/${ctx.runId}/commands?cursor=${value}&pageLength=5`, headers: [] } });
  }
  add({ id: "bad-cursor GET /runs?before=<foreign id>", class: "bad-cursor", mutating: false, expected: "2xx-or-4xx", request: { method: "GET", target: `/runs?before=${uniq()}`, headers: [] } });

  // Hostile file names in a protocol upload: traversal (must never escape), invalid Unicode, overlong.
  const marker = `deckhand-escape-${ctx.seed}`;
  const fileNames: [HostileClass, string, Uint8Array, ExpectedAnswer][] = [
    ["path-traversal", "../ x6", enc(`../../../../../../tmp/${marker}-1.json`), "2xx-or-4xx"],
    ["path-traversal", "absolute", enc(`/tmp/${marker}-2.json`), "2xx-or-4xx"],
    ["path-traversal", "backslashes", enc(`..\\..\\..\\${marker}-3.json`), "2xx-or-4xx"],
    ["path-traversal", "NUL", concat(enc(`${marker}-4.json`), [0], enc(".py")), "4xx"],
    ["invalid-utf8", "raw surrogate bytes", concat(enc("p"), [0xed, 0xa0, 0x80], enc(".json")), "4xx"],
    ["oversized-body", "overlong", enc(`${"n".repeat(random.int(5_000, 12_000))}.json`), "4xx"],
  ];
  for (const [cls, what, name, expected] of fileNames) {
    const boundary = `----deckhand${random.int(1e6, 9e6)}`;
    const body = concat(
      enc(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="`), name,
      enc(`"\r\nContent-Type: application/json\r\n\r\n`), ctx.protocolFile.bytes, enc(`\r\n--${boundary}--\r\n`),
    );
    add({
      id: `${cls} POST /protocols file name ${what}`, class: cls, mutating: true, expected, escapeMarker: marker,
      request: { method: "POST", target: "/protocols", headers: [["Content-Type", `multipart/form-data; boundary=${boundary}`], ...auth], body },
    });
  }

  // Slow loris on the request head: never finished.
  add({
    id: "slow-loris GET /runs head never finished", class: "slow-loris", mutating: false, expected: "4xx-or-held",
    request: { method: "GET", target: "/runs", headers: [["X-Slow", "s".repeat(64)]] }, send: { slow: { chunkBytes: 2, intervalMs: slowMs }, withholdLastBytes: 2 },
  });

  // Tokens: missing, wrong, and invalid bytes, on a mutating route.
  if (ctx.token) {
    const body = json({ data: { actionType: "stop" } });
    for (const [what, headers] of [
      ["missing", [["Content-Type", "application/json"]]], ["wrong", [["Content-Type", "application/json"], ["Authorization", `Bearer ${ctx.token}x`]]],
      ["lone surrogate", [["Content-Type", "application/json"], ["Authorization", `Bearer \udc00${ctx.token}`]]],
    ] as [string, [string, string][]][]) {
      add({ id: `bad-token POST /runs/:id/actions ${what}`, class: "bad-token", mutating: true, expected: "4xx", request: { method: "POST", target: `/runs/${ctx.runId}/actions`, headers, body } });
    }
  }
  return cases;
}

/** How a case was answered, and whether that is what it had to get. */
export interface HostileVerdict {
  readonly ok: boolean;
  /** The status (`"422"`) or the outcome (`"closed"`, `"reset"`, `"timeout"`). */
  readonly answeredAs: string;
}

/** Judges one answer against the case's expectation (never a 5xx; slow-loris may be held). */
export function judgeAnswer(c: HostileCase, answer: RawAnswer): HostileVerdict {
  const answeredAs = answer.status !== null ? String(answer.status) : answer.outcome;
  const s = answer.status;
  const is4xx = s !== null && s >= 400 && s < 500;
  const is2xx = s !== null && s >= 200 && s < 300;
  switch (c.expected) {
    case "4xx":
      return { ok: is4xx, answeredAs };
    case "2xx-or-4xx":
      return { ok: is4xx || is2xx, answeredAs };
    case "4xx-or-held":
      return { ok: is4xx || (s === null && answer.outcome !== "reset"), answeredAs };
  }
}
