/**
 * What a JSON request body must be before it reaches a store: no lone surrogate in any string or key, no
 * number that does not survive as a finite double (`1e400`), no nesting deeper than a bound.
 *
 * @module
 */
import type { Context } from "hono";

/** How deep a request body may nest. */
export const MAX_JSON_DEPTH = 256;

/** One problem found in a request body, with its path. */
export interface BodyIssue {
  readonly message: string;
  readonly path: readonly (string | number)[];
}

interface Frame {
  readonly value: unknown;
  readonly depth: number;
  readonly parent: Frame | undefined;
  readonly key: string | number | undefined;
}

function pathOf(frame: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) path.unshift(f.key);
  return path.slice(0, 16);
}

/**
 * The first problem in a parsed JSON value, or undefined. Iterative (no value can overflow the stack), and a
 * path is built only for the problem found.
 *
 * @example
 * ```ts
 * jsonValueProblem(JSON.parse('{"a":["x\\ud800"]}')); // { message: "... lone surrogate", path: ["a", 0] }
 * ```
 */
export function jsonValueProblem(value: unknown, maxDepth: number = MAX_JSON_DEPTH): BodyIssue | undefined {
  const stack: Frame[] = [{ value, depth: 0, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const current = frame.value;
    if (typeof current === "string") {
      if (!current.isWellFormed()) return { message: "a string is not well-formed Unicode (lone surrogate)", path: pathOf(frame) };
    } else if (typeof current === "number") {
      if (!Number.isFinite(current)) return { message: "a number is beyond the range of a double", path: pathOf(frame) };
    } else if (current !== null && typeof current === "object") {
      if (frame.depth >= maxDepth) return { message: `nested deeper than ${maxDepth} levels`, path: pathOf(frame) };
      const depth = frame.depth + 1;
      if (Array.isArray(current)) {
        for (let i = 0; i < current.length; i++) stack.push({ value: current[i], depth, parent: frame, key: i });
      } else {
        for (const key of Object.keys(current)) {
          if (!key.isWellFormed()) return { message: "a key is not well-formed Unicode (lone surrogate)", path: pathOf(frame) };
          stack.push({ value: (current as Record<string, unknown>)[key], depth, parent: frame, key });
        }
      }
    }
  }
  return undefined;
}

/** True when the request says its body is JSON. */
export function isJsonRequest(c: Context): boolean {
  return /^application\/([a-z.+-]+\+)?json\b/i.test(c.req.header("content-type") ?? "");
}
