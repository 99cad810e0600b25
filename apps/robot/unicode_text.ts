/**
 * Well-formed Unicode: a string with no lone UTF-16 surrogate (which would crash or be altered by the native
 * database layer, and cannot be encoded as UTF-8).
 *
 * @module
 */

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * True when `text` has no lone surrogate (in `u` mode a valid pair is one code point, so only lone halves match).
 *
 * @example
 * ```ts
 * isWellFormedText("ok \u{1F600}"); // true
 * isWellFormedText("x\ud800");      // false
 * ```
 */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
