/**
 * The one table that maps error codes (the modules' and the app's own) to HTTP statuses and Opentrons-style
 * errors, and the error envelope `{ errors: [{ id, title, detail, errorCode, meta: { code } }] }`.
 * Codes are mapped here and nowhere else: never by class or by message.
 *
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** How one error code appears on the wire. */
export interface WireError {
  readonly status: ContentfulStatusCode;
  /** Opentrons' error id, e.g. `RunNotFound`. */
  readonly id: string;
  readonly title: string;
  /** Opentrons' string error code, e.g. `"4000"`. */
  readonly errorCode: string;
}

const notFound = (id: string, title: string): WireError => ({ status: 404, id, title, errorCode: "4000" });
const conflict = (id: string, title: string, errorCode = "4000"): WireError => ({ status: 409, id, title, errorCode });
const invalid: WireError = { status: 422, id: "InvalidRequest", title: "Invalid Request", errorCode: "4000" };
const diskFull: WireError = { status: 507, id: "InsufficientStorage", title: "Insufficient Storage (The Disk Is Full)", errorCode: "4000" };

/**
 * The codes that mean "the disk is full": SQLite's, the OS's, and capture's (its free-space policy). A module may
 * wrap one of them (capture's `CAPTURE_WRITE_FAILED` or `CAPTURE_FILE_FAILED` with an `ENOSPC` cause), so
 * `errorCodeOf` looks for them along the `cause` chain.
 */
export const DISK_FULL_CODES: ReadonlySet<string> = new Set(["SQLITE_FULL", "ENOSPC", "EDQUOT", "CAPTURE_DISK_FULL"]);

/** Every known code and its wire form. Unknown codes answer 500 `InternalServerError`. */
export const ERROR_TABLE: Readonly<Record<string, WireError>> = {
  STORE_RUN_NOT_FOUND: notFound("RunNotFound", "Run Not Found"),
  STORE_PROTOCOL_NOT_FOUND: notFound("ProtocolNotFound", "Protocol Not Found"),
  STORE_ANALYSIS_NOT_FOUND: notFound("AnalysisNotFound", "Analysis Not Found"),
  STORE_COMMAND_NOT_FOUND: notFound("CommandNotFound", "Command Not Found"),
  STORE_INVALID_RECORD: invalid,
  STORE_INVALID_OPTIONS: invalid,
  STORE_ALREADY_EXISTS: conflict("ResourceAlreadyExists", "Resource Already Exists"),
  STORE_DUPLICATE_COMMAND: conflict("CommandAlreadyExists", "Command Already Exists"),
  STORE_RUN_ALREADY_FINISHED: conflict("RunStopped", "Run Stopped"),
  STORE_TOO_LARGE: { status: 413, id: "RecordTooLarge", title: "Record Too Large For The Store", errorCode: "4000" },
  SQLITE_FULL: diskFull,
  ENOSPC: diskFull,
  EDQUOT: diskFull,
  CAPTURE_DISK_FULL: diskFull,
  STORE_WRITE_UNVERIFIED: { status: 500, id: "WriteUnverified", title: "Write Not Verified (Nothing Was Stored)", errorCode: "4000" },
  SERIALIZE_CACHE_CLOSED: { status: 503, id: "ServiceUnavailable", title: "Shutting Down", errorCode: "4000" },
  STORE_CLOSED: { status: 503, id: "ServiceUnavailable", title: "Shutting Down", errorCode: "4000" },
  SERIALIZE_INVALID_VALUE: invalid,
  SERIALIZE_NOT_JSON: invalid,
  CAPTURE_INVALID_OPTIONS: invalid,
  ROBOT_INVALID_REQUEST: invalid,
  ROBOT_INVALID_ID: invalid,
  ROBOT_INVALID_SETTING: invalid,
  ROBOT_MALFORMED_REQUEST: { status: 400, id: "BadRequest", title: "Malformed Request", errorCode: "4000" },
  ROBOT_HEADERS_TOO_LARGE: { status: 431, id: "HeadersTooLarge", title: "Request Headers Too Large", errorCode: "4000" },
  ROBOT_REQUEST_TIMEOUT: { status: 408, id: "RequestTimeout", title: "Request Timeout", errorCode: "4000" },
  ROBOT_BODY_TOO_LARGE: { status: 413, id: "RequestTooLarge", title: "Request Body Too Large", errorCode: "4000" },
  ROBOT_ROUTE_NOT_FOUND: notFound("RouteNotFound", "Route Not Found"),
  ROBOT_UNAUTHORIZED: { status: 401, id: "Unauthorized", title: "Unauthorized", errorCode: "4000" },
  ROBOT_MIGRATING: { status: 503, id: "Migrating", title: "Data Migration In Progress", errorCode: "4000" },
  ROBOT_RUN_ALREADY_ACTIVE: conflict("RunAlreadyActive", "Run Already Active", "4001"),
  ROBOT_RUN_NOT_IDLE: conflict("RunNotIdle", "Run Not Idle", "4001"),
  ROBOT_RUN_ACTION_NOT_ALLOWED: conflict("RunActionNotAllowed", "Run Action Not Allowed", "3000"),
  ROBOT_RUN_NOT_CURRENT: conflict("RunNotCurrent", "Run Not Current"),
  ROBOT_RUN_STOPPED: conflict("RunStopped", "Run Stopped"),
  ROBOT_PROTOCOL_USED_BY_RUN: conflict("ProtocolUsedByRun", "Protocol Used By Run"),
  ROBOT_ANALYSIS_NOT_FOUND: notFound("AnalysisNotFound", "Analysis Not Found"),
  ROBOT_COLLECTOR_NOT_FOUND: notFound("CollectorNotFound", "Collector Not Found"),
  ROBOT_RENDER_FAILED: { status: 500, id: "RenderFailed", title: "Report Render Failed", errorCode: "4000" },
  SYNC_SERVICE_STOPPED: { status: 503, id: "SyncUnavailable", title: "Sync Unavailable", errorCode: "4000" },
  SYNC_SERVICE_WORKER_EXITED: { status: 503, id: "SyncUnavailable", title: "Sync Worker Restarting", errorCode: "4000" },
  SYNC_SERVICE_TIMEOUT: { status: 504, id: "SyncTimeout", title: "Sync Did Not Answer In Time", errorCode: "4000" },
  SYNC_CLOSED: { status: 503, id: "SyncUnavailable", title: "Sync Unavailable", errorCode: "4000" },
  SYNC_TARGET_UNAVAILABLE: { status: 503, id: "SyncTargetUnavailable", title: "Sync Target Unavailable", errorCode: "4000" },
  ROBOT_SYNC_UNAVAILABLE: { status: 503, id: "SyncUnavailable", title: "Sync Unavailable", errorCode: "4000" },
};

const INTERNAL: WireError = { status: 500, id: "InternalServerError", title: "Internal Server Error", errorCode: "4000" };

function ownCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/**
 * The code of an error thrown by a Deckhand module or the app, if it has one; a disk-full code anywhere along
 * the `cause` chain (at most 8 deep) wins, so a full disk answers 507 whichever layer wrapped it.
 */
export function errorCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const code = ownCode(current);
    if (code !== undefined && DISK_FULL_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return ownCode(error);
}

/** The wire form of an error code (500 for unknown ones). */
export function wireErrorFor(code: string | undefined): WireError {
  return (code !== undefined && ERROR_TABLE[code]) || INTERNAL;
}

/** The error envelope body for `error`; internal errors do not leak their message. */
export function errorBody(error: unknown): { status: ContentfulStatusCode; body: { errors: unknown[] } } {
  const code = errorCodeOf(error);
  const wire = wireErrorFor(code);
  const known = wire !== INTERNAL;
  const detail = wire === diskFull
    ? "The disk holding the robot's data is full: nothing was stored. Free space and retry (reads are still served)."
    : known && error instanceof Error ? error.message : "The server could not answer this request.";
  const extra = (error as { meta?: Record<string, unknown> } | null)?.meta;
  const meta = { code: known ? code : "ROBOT_INTERNAL", ...(known && extra ? extra : {}) };
  return { status: wire.status, body: { errors: [{ id: wire.id, title: wire.title, detail, errorCode: wire.errorCode, meta }] } };
}

/** Answers `error` as the error envelope. */
export function errorResponse(c: Context, error: unknown): Response {
  const { status, body } = errorBody(error);
  return c.json(body, status);
}
