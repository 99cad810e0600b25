/**
 * The robot app's own error classes. Each has a stable `code` prefixed `ROBOT_`; `http_errors.ts` maps every
 * code (these and the modules') to an HTTP status and an Opentrons-style error in one table.
 *
 * @module
 */

/** Base class of the robot app's errors: a stable `code`, a message that says what to do, and `cause`. */
export class RobotError extends Error {
  /** Stable machine-readable code, e.g. `ROBOT_RUN_ALREADY_ACTIVE`. */
  readonly code: string = "ROBOT_ERROR";
  /** Extra detail for the error envelope's `meta` (validation issues, progress). */
  readonly meta: Readonly<Record<string, unknown>> | undefined;
  constructor(message: string, options?: { cause?: unknown; meta?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.meta = options?.meta;
  }
}

/** A request that fails validation (body, query, JSON limits). */
export class InvalidRequestError extends RobotError {
  override readonly code = "ROBOT_INVALID_REQUEST";
}
/** An id in a path or body that is not a well-formed, bounded, safe identifier. */
export class InvalidIdError extends RobotError {
  override readonly code = "ROBOT_INVALID_ID";
}
/** A request body larger than the configured limit. */
export class BodyTooLargeError extends RobotError {
  override readonly code = "ROBOT_BODY_TOO_LARGE";
}
/** No route answers this path and method. */
export class RouteNotFoundError extends RobotError {
  override readonly code = "ROBOT_ROUTE_NOT_FOUND";
}
/** A mutating request without the configured bearer token. */
export class UnauthorizedError extends RobotError {
  override readonly code = "ROBOT_UNAUTHORIZED";
}
/** The data root is still being migrated; the API answers once it is done. */
export class MigratingError extends RobotError {
  override readonly code = "ROBOT_MIGRATING";
}
/** Creating a run while the current one is running or paused. */
export class RunAlreadyActiveError extends RobotError {
  override readonly code = "ROBOT_RUN_ALREADY_ACTIVE";
}
/** Deleting or archiving a run that is running or paused. */
export class RunNotIdleError extends RobotError {
  override readonly code = "ROBOT_RUN_NOT_IDLE";
}
/** An action the run's status does not allow (pause when not running, play on a stopped run). */
export class RunActionNotAllowedError extends RobotError {
  override readonly code = "ROBOT_RUN_ACTION_NOT_ALLOWED";
}
/** Actions or commands on a run that is not the current run. */
export class RunNotCurrentError extends RobotError {
  override readonly code = "ROBOT_RUN_NOT_CURRENT";
}
/** Commands on the current run after it ended. */
export class RunStoppedError extends RobotError {
  override readonly code = "ROBOT_RUN_STOPPED";
}
/** Deleting a protocol that a run refers to. */
export class ProtocolUsedByRunError extends RobotError {
  override readonly code = "ROBOT_PROTOCOL_USED_BY_RUN";
}
/** An analysis id that does not belong to the protocol in the path. */
export class AnalysisNotFoundError extends RobotError {
  override readonly code = "ROBOT_ANALYSIS_NOT_FOUND";
}
/** No collector with that name. */
export class CollectorNotFoundError extends RobotError {
  override readonly code = "ROBOT_COLLECTOR_NOT_FOUND";
}
/** A report render failed; retry after the time in `Retry-After`. */
export class RenderFailedError extends RobotError {
  override readonly code = "ROBOT_RENDER_FAILED";
}
/** The sync service is not available (not configured, or not wired in). */
export class SyncUnavailableError extends RobotError {
  override readonly code = "ROBOT_SYNC_UNAVAILABLE";
}
/** Another robot app holds the data root's lock. */
export class DataRootLockedError extends RobotError {
  override readonly code = "ROBOT_DATA_ROOT_LOCKED";
}
/** A setting (flag or environment variable) is invalid. */
export class InvalidSettingError extends RobotError {
  override readonly code = "ROBOT_INVALID_SETTING";
}
/** A request Node's HTTP parser refused before it reached a route (bytes that are not HTTP, invalid UTF-8 raw bytes in the target). */
export class MalformedRequestError extends RobotError {
  override readonly code = "ROBOT_MALFORMED_REQUEST";
}
/** Request headers larger than the server accepts. */
export class HeadersTooLargeError extends RobotError {
  override readonly code = "ROBOT_HEADERS_TOO_LARGE";
}
/** A request whose head or body did not arrive in time. */
export class RequestTimeoutError extends RobotError {
  override readonly code = "ROBOT_REQUEST_TIMEOUT";
}
