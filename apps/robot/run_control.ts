/**
 * The Opentrons rules about the current run, over the run store: the newest run is current; creating a run
 * archives the current one unless it is running or paused (409); actions and commands need the current run;
 * `stop` ends the run as `stopped` at once (Deckhand records, it has no engine); a running run cannot be
 * deleted. After a restart no run is current (the store marks the unfinished ones interrupted: bad runs).
 * Every rule-checked write goes through one in-process queue, so two requests cannot race on the current run.
 *
 * @module
 */
import type { BadRun, Run, RunAction, RunCommand, RunStore, RunSummary } from "@deckhand/storage";
import {
  RunActionNotAllowedError,
  RunAlreadyActiveError,
  RunNotCurrentError,
  RunNotIdleError,
  RunStoppedError,
} from "./errors.ts";

/** The actions a client may post. */
export type RunActionType = "play" | "pause" | "stop";

const ACTIVE = new Set(["running", "paused"]);

/** The current-run rules around a `RunStore`. */
export class RunControl {
  readonly #store: RunStore;
  #currentRunId: string | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: RunStore) {
    this.#store = store;
  }

  /** The id of the current run, or null. */
  get currentRunId(): string | null {
    return this.#currentRunId;
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(work);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Creates a run and makes it current, archiving the previous current run (409 if it is running or paused). */
  createRun(protocolId: string | null): Promise<Run> {
    return this.#exclusive(async () => {
      if (this.#currentRunId !== null) {
        const current = await this.#store.getRun(this.#currentRunId);
        if (ACTIVE.has(current.status)) {
          throw new RunAlreadyActiveError(`run ${current.id} is ${current.status}; stop it before creating another run`);
        }
        await this.#archive(current);
      }
      const run = await this.#store.createRun({ protocolId });
      this.#currentRunId = run.id;
      return run;
    });
  }

  /** `PATCH { current: false }`: archives the run (ends it as `stopped` if it had not ended). */
  archive(runId: string): Promise<Run | BadRun> {
    return this.#exclusive(async () => {
      const run = await this.#store.getRun(runId);
      if (runId !== this.#currentRunId) return run;
      if (ACTIVE.has(run.status)) throw new RunNotIdleError(`run ${runId} is ${run.status}; stop it before archiving it`);
      await this.#archive(run);
      return await this.#store.getRun(runId);
    });
  }

  async #archive(run: Run | BadRun): Promise<void> {
    if (run.kind === "ok" && run.completedAt === null) await this.#store.finishRun(run.id, { status: "stopped", errors: [] });
    this.#currentRunId = null;
  }

  /** Records a play, pause or stop action on the current run. */
  addAction(runId: string, actionType: RunActionType): Promise<RunAction> {
    return this.#exclusive(async () => {
      const run = await this.#store.getRun(runId);
      this.#requireCurrent(runId);
      const ended = run.completedAt !== null || run.kind === "bad";
      if (actionType === "play" && ended) {
        throw new RunActionNotAllowedError(`run ${runId} has ended (${run.status}); it cannot be played`);
      }
      if (actionType === "pause" && run.status !== "running") {
        throw new RunActionNotAllowedError(`run ${runId} is ${run.status}; only a running run can be paused`);
      }
      if (actionType === "stop" && ended) {
        throw new RunActionNotAllowedError(`run ${runId} has already ended (${run.status})`);
      }
      const action = await this.#store.addRunAction(runId, { actionType });
      // Deckhand has no engine to wind down: stop ends the run as stopped at once (it stays current).
      if (actionType === "stop") await this.#store.finishRun(runId, { status: "stopped", errors: [] });
      return action;
    });
  }

  /** Records finished commands of the current run. */
  appendCommands(runId: string, commands: readonly RunCommand[]): Promise<{ firstIndex: number; totalLength: number }> {
    return this.#exclusive(async () => {
      const run = await this.#store.getRun(runId);
      this.#requireCurrent(runId);
      if (run.completedAt !== null) throw new RunStoppedError(`run ${runId} has ended (${run.status}); it takes no more commands`);
      return await this.#store.appendCommands(runId, commands);
    });
  }

  /** Ends the current run with the controller's state summary. */
  finish(runId: string, summary: RunSummary): Promise<Run> {
    return this.#exclusive(async () => {
      await this.#store.getRun(runId);
      this.#requireCurrent(runId);
      return await this.#store.finishRun(runId, summary);
    });
  }

  /** Deletes a run, good or bad; a running or paused one is refused (409). */
  deleteRun(runId: string): Promise<void> {
    return this.#exclusive(async () => {
      const run = await this.#store.getRun(runId);
      if (run.kind === "ok" && ACTIVE.has(run.status)) {
        throw new RunNotIdleError(`run ${runId} is ${run.status}; stop it before deleting it`);
      }
      await this.#store.deleteRun(runId);
      if (this.#currentRunId === runId) this.#currentRunId = null;
    });
  }

  #requireCurrent(runId: string): void {
    if (runId !== this.#currentRunId) throw new RunNotCurrentError(`run ${runId} is not the current run`);
  }

  /** Waits for the queued rule-checked writes (shutdown). */
  async drain(): Promise<void> {
    await this.#queue;
  }
}
