// @deckhand/serialize: the public face. Re-exports only.
export {
  type Codec,
  type CodecDefinition,
  type CodecLimits,
  DECODE_ERROR_CODES,
  type DecodeError,
  type DecodeErrorCode,
  type DecodeFailure,
  type DecodeResult,
  type DecodeSuccess,
  defineCodec,
  type EncodedRecord,
  MAX_REPORTED_ISSUES,
  type Upgrade,
} from "./codec.ts";
export { canonicalJson, contentHash } from "./canonical_json.ts";
export {
  InvalidCodecError,
  InvalidOptionsError,
  InvalidTrustedTextError,
  InvalidValueError,
  NotJsonError,
  RenderCacheClosedError,
  SerializeError,
  type SerializeIssue,
  UnknownRendererError,
} from "./errors.ts";
export {
  type Clock,
  createRenderCache,
  type GcReport,
  type RenderCache,
  type RenderCacheOptions,
  type RenderCacheStats,
  type RenderContext,
  type Renderer,
  type RenderFailed,
  type RenderFailure,
  type RenderOutput,
  type RenderPending,
  type RenderReady,
  type RenderResult,
  type RetryOptions,
  type WaitOptions,
} from "./render_cache.ts";
export { type RenderJob, renderJobs, type RenderJobsOptions, type RenderJobsResult } from "./render_jobs.ts";
