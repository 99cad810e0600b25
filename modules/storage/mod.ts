// @deckhand/storage: the public face. Re-exports only.
export { type Durability, openRunStore, type RunStore, type RunStoreOptions } from "./run_store.ts";
export type { NewProtocol } from "./protocols.ts";
export type { NewAnalysis } from "./analyses.ts";
export type { ListRunsOptions, NewRun, NewRunAction } from "./runs.ts";
export type { AppendResult, CommandPage, ListCommandsOptions } from "./commands.ts";
export { encodeCommands, type EncodedCommands } from "./command_batch.ts";
export type { ChangeEntity, ChangeEntry, ChangeKind, ChangesOptions } from "./change_feed.ts";
export type { Clock } from "./times.ts";
export { MAX_BATCH_BYTES, MAX_ID_BYTES, MAX_RECORD_BYTES, type StoreLimits } from "./record_contract.ts";
export type {
  Analysis,
  AnalysisDocument,
  AnalysisInfo,
  BadAnalysis,
  BadProtocol,
  BadRun,
  DataError,
  FinalRunStatus,
  Protocol,
  ProtocolDocument,
  ProtocolFile,
  Run,
  RunAction,
  RunColumns,
  RunCommand,
  RunDocument,
  RunSummary,
  StoredCommand,
} from "./records.ts";
export {
  AlreadyExistsError,
  AnalysisNotFoundError,
  CommandNotFoundError,
  DuplicateCommandError,
  InvalidOptionsError,
  InvalidRecordError,
  ProtocolNotFoundError,
  RunAlreadyFinishedError,
  RunNotFoundError,
  StorageError,
  StoreClosedError,
  TooLargeError,
  WriteVerificationError,
} from "./errors.ts";
