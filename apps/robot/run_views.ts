/**
 * Store records to Opentrons wire shapes: a run (null fields omitted, a bad run with its `dataError` whose
 * `errorCode` is `"4008"`), a command summary (without `result`), a bad command.
 *
 * @module
 */
import type { BadRun, DataError, Run, StoredCommand } from "@deckhand/storage";

/** Opentrons' error code for a record that could not be loaded ("invalid stored data"). */
export const BAD_DATA_ERROR_CODE = "4008";

/** A store data error as Opentrons' `dataError`, with the store's code in `meta.code`. */
export function wireDataError(error: DataError): Record<string, unknown> {
  const interrupted = error.code === "RUN_INTERRUPTED";
  return {
    id: interrupted ? "RunInterrupted" : "InvalidStoredData",
    title: interrupted ? "Run Interrupted" : "Invalid Stored Data",
    detail: error.message,
    errorCode: BAD_DATA_ERROR_CODE,
    meta: { code: error.code },
  };
}

function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== null && field !== undefined) out[key] = field;
  return out;
}

/** A run as Opentrons' `Run` (or `BadRun`). */
export function wireRun(run: Run | BadRun, currentRunId: string | null): Record<string, unknown> {
  const { status: _status, errors, ...summaryRest } = run.summary ?? { status: undefined, errors: [] };
  return withoutNulls({
    id: run.id,
    createdAt: run.createdAt,
    status: run.status,
    current: run.id === currentRunId,
    actions: run.actions ?? [],
    errors: errors ?? [],
    pipettes: [],
    modules: [],
    labware: [],
    labwareOffsets: [],
    liquids: [],
    runTimeParameters: [],
    ...summaryRest,
    protocolId: run.protocolId,
    startedAt: run.startedAt,
    completedAt: run.completedAt,
    commandCount: run.commandCount,
    dataError: run.kind === "bad" ? wireDataError(run.dataError) : null,
  });
}

/** A command in a page: the summary, without its `result`; a bad command as its id and `dataError`. */
export function wireCommandSummary(stored: StoredCommand): Record<string, unknown> {
  if (stored.kind === "bad") return { id: stored.id, index: stored.index, dataError: wireDataError(stored.dataError) };
  const { result: _result, ...summary } = stored.command;
  return summary;
}

/** A command in full (`GET /runs/R/commands/C`). */
export function wireCommand(stored: StoredCommand): Record<string, unknown> {
  if (stored.kind === "bad") return { id: stored.id, index: stored.index, dataError: wireDataError(stored.dataError) };
  return { ...stored.command };
}
