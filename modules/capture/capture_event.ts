/**
 * The events a capture writer reports through its `onEvent` callback: file lifecycle, flushes, and every
 * action of the disk policy (each deletion is reported, never silent).
 *
 * @module
 */

/** One thing that happened in a capture writer, reported through `onEvent`. */
export type CaptureEvent =
  | { readonly type: "file-opened"; readonly file: string }
  | { readonly type: "file-finished"; readonly file: string; readonly messages: number; readonly bytes: number }
  | { readonly type: "flushed"; readonly chunks: number }
  | { readonly type: "disk-low"; readonly freeBytes: number; readonly minFreeBytes: number }
  | { readonly type: "deleted"; readonly file: string; readonly reason: "disk-low"; readonly freeBytes: number }
  | { readonly type: "paused"; readonly freeBytes: number }
  | { readonly type: "resumed"; readonly freeBytes: number }
  | { readonly type: "file-abandoned"; readonly file: string; readonly error: Error }
  | { readonly type: "error"; readonly error: Error };
