/**
 * The acknowledged-writes ledger: every run and command the robot answered with a 2xx is recorded here, with the
 * exact JSON text sent, and {@link checkAcknowledgedWrites} checks after a restart that each one is present and
 * byte-equal. Nothing is recorded on a non-2xx answer or a lost answer: those writes may or may not have happened.
 *
 * @example
 * ```ts
 * const ledger = createAckLedger();
 * ledger.acknowledgeRun("r1");
 * ledger.acknowledgeCommands("r1", [{ id: "c1", json: '{"id":"c1","commandType":"home"}' }]);
 * const report = await checkAcknowledgedWrites(ledger, reader, { onlyUnchecked: true });
 * ```
 */

/** One acknowledged command: its id and the exact JSON text of it that was sent. */
export interface AckedCommand {
  readonly id: string;
  readonly json: string;
}

/** What the ledger holds about one run. */
export interface AckedRun {
  readonly runId: string;
  readonly commands: readonly AckedCommand[];
  /** Commands `[0, checkedThrough)` have been checked present and byte-equal at least once. */
  readonly checkedThrough: number;
  /** Whether the run itself has been checked present since it was acknowledged. */
  readonly runChecked: boolean;
}

/** The ledger of acknowledged writes. */
export interface AckLedger {
  acknowledgeRun(runId: string): void;
  acknowledgeCommands(runId: string, commands: readonly AckedCommand[]): void;
  /** A run acknowledged deleted: it is no longer expected. */
  acknowledgeDelete(runId: string): void;
  runs(): readonly AckedRun[];
  /** Acknowledged runs and commands in total. */
  counts(): { runs: number; commands: number };
  /** Marks what a check found present. */
  markChecked(runId: string, runChecked: boolean, commandsThrough: number): void;
}

/** Creates an empty ledger. */
export function createAckLedger(): AckLedger {
  const runs = new Map<string, { commands: AckedCommand[]; checkedThrough: number; runChecked: boolean }>();
  const get = (runId: string) => {
    const run = runs.get(runId);
    if (!run) throw new RangeError(`run ${runId} was never acknowledged`);
    return run;
  };
  return {
    acknowledgeRun(runId) {
      if (!runs.has(runId)) runs.set(runId, { commands: [], checkedThrough: 0, runChecked: false });
    },
    acknowledgeCommands(runId, commands) {
      get(runId).commands.push(...commands);
    },
    acknowledgeDelete(runId) {
      runs.delete(runId);
    },
    runs: () => [...runs].map(([runId, r]) => ({ runId, commands: r.commands, checkedThrough: r.checkedThrough, runChecked: r.runChecked })),
    counts: () => ({ runs: runs.size, commands: [...runs.values()].reduce((n, r) => n + r.commands.length, 0) }),
    markChecked(runId, runChecked, through) {
      const run = get(runId);
      run.runChecked ||= runChecked;
      run.checkedThrough = Math.max(run.checkedThrough, through);
    },
  };
}

/** How the checks read the system after a restart (over HTTP in the campaign). */
export interface AckReader {
  /** Whether the run exists (any status, good or bad record). */
  hasRun(runId: string): Promise<boolean>;
  /** The stored command's JSON as served, or `undefined` when it is missing. */
  commandJson(runId: string, commandId: string): Promise<string | undefined>;
}

/** What one check found. */
export interface AckCheckReport {
  readonly checkedRuns: number;
  readonly checkedCommands: number;
  readonly missingRuns: readonly string[];
  readonly missingCommands: readonly { runId: string; commandId: string }[];
  readonly changedCommands: readonly { runId: string; commandId: string; sent: string; served: string; reorderedOnly: boolean }[];
}

/** JSON with object keys sorted, to tell "same data, other key order" from a real change. */
function canonical(text: string): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sort(x)])) : v;
  return JSON.stringify(sort(JSON.parse(text)));
}

/**
 * Checks acknowledged writes against the system: every run present; every command present and byte-equal (the
 * served JSON, re-serialised, equals the sent JSON re-serialised: same values, same key order). With
 * `onlyUnchecked`, only the writes not yet checked (plus a seeded sample of `sampleOld` older commands per run,
 * default 2) are read, so each round checks what was acknowledged since the last one.
 */
export async function checkAcknowledgedWrites(
  ledger: AckLedger,
  reader: AckReader,
  options: { onlyUnchecked?: boolean; sampleOld?: number; concurrency?: number } = {},
): Promise<AckCheckReport> {
  const missingRuns: string[] = [];
  const missingCommands: { runId: string; commandId: string }[] = [];
  const changedCommands: AckCheckReport["changedCommands"][number][] = [];
  let checkedRuns = 0;
  let checkedCommands = 0;
  const jobs: (() => Promise<void>)[] = [];
  for (const run of ledger.runs()) {
    const from = options.onlyUnchecked ? run.checkedThrough : 0;
    const indexes = new Set<number>();
    for (let i = from; i < run.commands.length; i++) indexes.add(i);
    if (options.onlyUnchecked && from > 0) {
      for (let k = 0; k < (options.sampleOld ?? 2); k++) indexes.add(Math.floor(((k + 1) * from) / ((options.sampleOld ?? 2) + 1)));
    }
    if (options.onlyUnchecked && run.runChecked && indexes.size === 0) continue;
    jobs.push(async () => {
      checkedRuns++;
      if (!(await reader.hasRun(run.runId))) {
        missingRuns.push(run.runId);
        return;
      }
      for (const i of [...indexes].sort((a, b) => a - b)) {
        const command = run.commands[i]!;
        checkedCommands++;
        const served = await reader.commandJson(run.runId, command.id);
        if (served === undefined) {
          missingCommands.push({ runId: run.runId, commandId: command.id });
        } else if (JSON.stringify(JSON.parse(served)) !== JSON.stringify(JSON.parse(command.json))) {
          changedCommands.push({ runId: run.runId, commandId: command.id, sent: command.json, served, reorderedOnly: canonical(served) === canonical(command.json) });
        }
      }
      // Checked, found or not: a failure is reported once, not again at every later check.
      ledger.markChecked(run.runId, true, run.commands.length);
    });
  }
  const workers = Array.from({ length: Math.max(1, options.concurrency ?? 4) }, async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) await job();
  });
  await Promise.all(workers);
  return { checkedRuns, checkedCommands, missingRuns, missingCommands, changedCommands };
}
