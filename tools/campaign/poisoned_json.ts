/**
 * JSON text with one hostile spot: a document is serialised normally, except that one string value, one key or
 * one number is replaced by raw bytes chosen by the caller (a JSON-escaped lone surrogate, invalid UTF-8, a number
 * beyond double range). The rest of the document stays valid, so the server has to find the one bad spot.
 *
 * @example
 * ```ts
 * const body = poisonJson({ data: { id: "c1" } }, ["data", "id"], "value", new TextEncoder().encode('"\\ud800"'));
 * ```
 */

/** A JSON value as plain data. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A path to a value inside a document: object keys and array indexes. */
export type JsonPath = readonly (string | number)[];

/** Which part at the path is replaced: the value itself, or (for an object member) its key. */
export type PoisonSpot = "value" | "key";

const encoder = new TextEncoder();
const placeholder = "\u0001POISON\u0001";

/** Every path of a string leaf (and, with `numbers`, of a number leaf) in a document, depth first. */
export function leafPaths(doc: JsonValue, kind: "string" | "number" | "key"): JsonPath[] {
  const out: JsonPath[] = [];
  const walk = (value: JsonValue, path: JsonPath) => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        if (kind === "key") out.push([...path, k]);
        walk(v, [...path, k]);
      }
    } else if (typeof value === kind) out.push(path);
  };
  walk(doc, []);
  return out;
}

/** Serialises `doc` with the value (or key) at `path` replaced by `bytes`, which are written as they are. */
export function poisonJson(doc: JsonValue, path: JsonPath, spot: PoisonSpot, bytes: Uint8Array): Uint8Array {
  if (path.length === 0) return bytes;
  const copy = structuredClone(doc);
  let parent: JsonValue = copy;
  for (const step of path.slice(0, -1)) parent = (parent as Record<string | number, JsonValue>)[step as string]!;
  const last = path[path.length - 1]!;
  const container = parent as Record<string | number, JsonValue>;
  if (!(last in container)) throw new RangeError(`no value at ${JSON.stringify(path)}`);
  if (spot === "key") {
    if (Array.isArray(parent) || typeof last !== "string") throw new RangeError("a key spot needs an object member");
    const entries = Object.entries(container).map(([k, v]) => [k === last ? placeholder : k, v] as const);
    for (const k of Object.keys(container)) delete container[k];
    for (const [k, v] of entries) container[k] = v;
  } else {
    container[last as string] = placeholder;
  }
  const [before, after] = JSON.stringify(copy).split(JSON.stringify(placeholder)) as [string, string];
  const head = encoder.encode(before);
  const tail = encoder.encode(after);
  const out = new Uint8Array(head.length + bytes.length + tail.length);
  out.set(head, 0);
  out.set(bytes, head.length);
  out.set(tail, head.length + bytes.length);
  return out;
}
