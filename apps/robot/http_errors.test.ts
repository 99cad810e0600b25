import { test } from "node:test";
import assert from "node:assert/strict";
import * as capture from "@deckhand/capture";
import * as serialize from "@deckhand/serialize";
import * as storage from "@deckhand/storage";
import { ERROR_TABLE, errorBody } from "./http_errors.ts";

/** Codes that only a bug or the app's own wiring can raise: they answer 500 on purpose. */
const INTERNAL = new Set([
  "STORE_ERROR", "SERIALIZE_ERROR", "CAPTURE_ERROR", "SERIALIZE_INVALID_CODEC", "SERIALIZE_INVALID_OPTIONS",
  "SERIALIZE_INVALID_TRUSTED_TEXT", "SERIALIZE_UNKNOWN_RENDERER", "CAPTURE_FILE_FAILED",
  "CAPTURE_SOURCE_DISCONNECTED", "CAPTURE_SOURCE_READ_FAILED", "CAPTURE_UNRECOVERABLE_FILE", "CAPTURE_WRITER_CLOSED",
  // Raised by the collectors' writes, never by a request (an ENOSPC cause still answers 507 through the chain).
  "CAPTURE_WRITE_FAILED", "CAPTURE_INVALID_LOG_TIME",
]);

function errorCodes(module: Record<string, unknown>): string[] {
  const codes: string[] = [];
  for (const value of Object.values(module)) {
    if (typeof value !== "function" || !(value.prototype instanceof Error)) continue;
    const error = new (value as new (message: string) => Error & { code?: unknown })("probe");
    if (typeof error.code === "string") codes.push(error.code);
  }
  return codes;
}

test("every error code a module raises through a request is mapped in the one table; the rest answer 500 without leaking", () => {
  const codes = [...errorCodes(storage), ...errorCodes(serialize), ...errorCodes(capture)];
  assert.ok(codes.includes("STORE_RUN_NOT_FOUND") && codes.includes("SERIALIZE_INVALID_VALUE"), codes.join(" "));
  const unmapped = codes.filter((code) => !(code in ERROR_TABLE) && !INTERNAL.has(code));
  assert.deepEqual(unmapped, [], "add each new code to ERROR_TABLE (or to INTERNAL here, with a reason)");
  const internal = errorBody(Object.assign(new Error("secret detail /var/lib/x"), { code: "STORE_ERROR" }));
  assert.equal(internal.status, 500);
  assert.deepEqual((internal.body.errors[0] as { meta: unknown }).meta, { code: "ROBOT_INTERNAL" });
  assert.doesNotMatch(JSON.stringify(internal.body), /secret/);
  const notFound = errorBody(new storage.RunNotFoundError("no run r1"));
  assert.equal(notFound.status, 404);
  assert.deepEqual(notFound.body.errors[0], { id: "RunNotFound", title: "Run Not Found", detail: "no run r1", errorCode: "4000", meta: { code: "STORE_RUN_NOT_FOUND" } });
});

test("a full disk answers 507 Insufficient Storage, whichever layer raised or wrapped it", () => {
  const sqlite = Object.assign(new Error("SQLITE_FULL: database or disk is full"), { code: "SQLITE_FULL" });
  const enospc = Object.assign(new Error("ENOSPC: no space left on device, write '/data/x'"), { code: "ENOSPC" });
  const wrapped = new capture.CaptureFileError("cannot write the chunk", { cause: enospc });
  for (const error of [sqlite, enospc, wrapped, new capture.DiskFullError("below the threshold")]) {
    const { status, body } = errorBody(error);
    assert.equal(status, 507, String(error));
    const first = body.errors[0] as { id: string; detail: string; meta: { code: string } };
    assert.equal(first.id, "InsufficientStorage");
    assert.doesNotMatch(first.detail, /\/data\/x/);
  }
  assert.equal((errorBody(wrapped).body.errors[0] as { meta: { code: string } }).meta.code, "ENOSPC");
  const otherCause = new capture.CaptureFileError("EIO", { cause: Object.assign(new Error("EIO"), { code: "EIO" }) });
  assert.equal(errorBody(otherCause).status, 500);
});
