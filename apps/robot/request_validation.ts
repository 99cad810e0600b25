/**
 * Request validation: valibot schemas through `hono-openapi`'s validator (so the same schemas document the
 * routes in `/openapi.json`), failures answered 422 with the issues; and the JSON body guard every JSON request
 * passes first (`json_body.ts`), whose parsed value the validator then reuses.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { resolver, validator } from "hono-openapi";
import * as v from "valibot";
import { InvalidRequestError } from "./errors.ts";
import { idProblem } from "./ids.ts";
import { isJsonRequest, jsonValueProblem } from "./json_body.ts";
import { strictBodyText } from "./utf8_request.ts";

/** A well-formed, bounded, path-free id (see `ids.ts`). */
export const idSchema = v.pipe(
  v.string(),
  v.check((value) => idProblem(value) === undefined, (issue) => `invalid id: ${idProblem(issue.input) ?? "unknown problem"}`),
);

/** An integer given as a query string. */
export const integerQuery = v.pipe(v.string(), v.regex(/^-?\d{1,15}$/, "must be an integer"), v.transform(Number));

interface IssueLike {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[];
}

function plainIssues(issues: readonly IssueLike[]): { message: string; path: string[] }[] {
  return issues.slice(0, 20).map((issue) => ({
    message: issue.message,
    path: (issue.path ?? []).map((p) => String(typeof p === "object" && p !== null && "key" in p ? p.key : p)),
  }));
}

function hook(result: { success: boolean; error?: readonly IssueLike[] }, _c: Context): void {
  if (!result.success) {
    const issues = plainIssues(result.error ?? []);
    throw new InvalidRequestError(`invalid request: ${issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`, { meta: { issues } });
  }
}

/** Validates the JSON body against `schema` (422 with the issues). */
export function jsonBody<S extends v.GenericSchema>(schema: S): MiddlewareHandler<any, string, { in: { json: v.InferInput<S> }; out: { json: v.InferOutput<S> } }> {
  return validator("json", schema, hook as never) as never;
}

/** Validates the query string against `schema` (422 with the issues). */
export function queryParams<S extends v.GenericSchema>(schema: S): MiddlewareHandler<any, string, { in: { query: v.InferInput<S> }; out: { query: v.InferOutput<S> } }> {
  return validator("query", schema, hook as never) as never;
}

/** An OpenAPI JSON response description from a valibot schema. */
export function jsonResponse(description: string, schema: v.GenericSchema = v.looseObject({ data: v.unknown() })) {
  return { description, content: { "application/json": { schema: resolver(schema) } } };
}

/** The error envelope's schema, for the OpenAPI document. */
export const errorEnvelope = v.object({
  errors: v.array(v.looseObject({ id: v.string(), title: v.string(), detail: v.string(), errorCode: v.string(), meta: v.optional(v.looseObject({ code: v.string() })) })),
});

/**
 * Middleware: reads a JSON request body once, refuses invalid UTF-8, malformed JSON, lone surrogates, non-finite
 * numbers and deep nesting (422), and caches both the text (byte-exact, for analyses) and the parsed value.
 */
export const jsonBodyGuard: MiddlewareHandler = async (c, next) => {
  if (c.req.method !== "GET" && c.req.method !== "HEAD" && isJsonRequest(c)) {
    // Decoded strictly: invalid UTF-8 is refused (422), never replaced by U+FFFD and stored. The text is cached
    // for later readers (`c.req.text()`, the analyses' byte-exact documents).
    const text = strictBodyText(new Uint8Array(await c.req.arrayBuffer()));
    (c.req.bodyCache as Record<string, unknown>)["text"] = Promise.resolve(text); // Hono caches promises (its type says string)
    let value: unknown;
    // An empty JSON body reads as no body (`POST /runs` takes none); the route's schema decides.
    if (text.length > 0) {
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new InvalidRequestError("the request body is not valid JSON", {
          cause: error, meta: { issues: [{ message: error instanceof Error ? error.message : String(error), path: [] }] },
        });
      }
      const problem = jsonValueProblem(value);
      if (problem) throw new InvalidRequestError(`the request body is refused: ${problem.message}`, { meta: { issues: [problem] } });
    }
    // Hono's c.req.json() parses the cached text again on every call; the validator after this guard gets the
    // value parsed and checked here instead (one parse of a large command batch, not two).
    (c.req as unknown as { json: () => Promise<unknown> }).json = () => Promise.resolve(value);
  }
  await next();
};
