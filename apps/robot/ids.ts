/**
 * Checks ids from paths and bodies before they reach the store or the file system: well-formed Unicode, at
 * most 128 UTF-8 bytes, no control characters, and never a path (`/`, `\`, `.` or `..` alone).
 *
 * @module
 */
import { InvalidIdError } from "./errors.ts";

/** The longest id accepted, in UTF-8 bytes. */
export const MAX_ID_BYTES = 128;

/** The reason `id` is not acceptable, or undefined when it is. */
export function idProblem(id: unknown): string | undefined {
  if (typeof id !== "string") return "must be a string";
  if (id.length === 0) return "must not be empty";
  if (!id.isWellFormed()) return "must be well-formed Unicode (it contains a lone surrogate)";
  if (Buffer.byteLength(id, "utf8") > MAX_ID_BYTES) return `must be at most ${MAX_ID_BYTES} UTF-8 bytes`;
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) return "must not contain control characters";
  if (/[/\\]/.test(id) || id === "." || id === "..") return "must not be a path";
  return undefined;
}

/**
 * Returns `id` when it is acceptable; throws `InvalidIdError` (422) otherwise.
 *
 * @example
 * ```ts
 * checkId(c.req.param("runId"), "runId");
 * ```
 */
export function checkId(id: unknown, what: string): string {
  const problem = idProblem(id);
  if (problem !== undefined) throw new InvalidIdError(`${what} ${problem}`, { meta: { field: what } });
  return id as string;
}
