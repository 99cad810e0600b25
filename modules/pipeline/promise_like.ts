/**
 * Telling a promise-like result from a plain value, so a stage awaits (and pays a microtask) only when it must.
 *
 * @module
 */

/** True for any thenable: a `Promise`, or any object or function with a `then` method. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}
