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
export { CANONICAL_MAX_DEPTH, canonicalJson, contentHash } from "./canonical_json.ts";
export {
  InvalidCodecError,
  InvalidOptionsError,
  InvalidTrustedTextError,
  InvalidValueError,
  NotJsonError,
  SerializeError,
  type SerializeIssue,
  UnknownRendererError,
} from "./errors.ts";
