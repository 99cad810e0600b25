/**
 * Reading the closing counts of the test runners the test command drives, so its summary line adds up the
 * real numbers. Output that cannot be read counts as one failure, never as a pass.
 */

/** Counts of one run. */
export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

/** Adds up the counts of several runs. */
export function sumTallies(tallies: readonly Tally[]): Tally {
  return tallies.reduce(
    (sum, t) => ({ passed: sum.passed + t.passed, failed: sum.failed + t.failed, skipped: sum.skipped + t.skipped }),
    { passed: 0, failed: 0, skipped: 0 },
  );
}

/** Removes ANSI colour codes: Deno colours its report even when told not to. */
function plain(output: string): string {
  return output.replace(/\x1b\[[0-9;]*m/g, "");
}

/** Reads `ℹ pass N` / `# pass N` lines of Node's test reporters. */
export function nodeTally(colored: string, code: number | null): Tally {
  const output = plain(colored);
  const count = (label: string) => {
    const matches = [...output.matchAll(new RegExp(`^(?:ℹ|#) ${label} (\\d+)$`, "gm"))];
    return matches.length ? Number(matches[matches.length - 1]![1]) : undefined;
  };
  const passed = count("pass");
  const failed = (count("fail") ?? 0) + (count("cancelled") ?? 0);
  if (passed === undefined) return { passed: 0, failed: 1, skipped: 0 };
  return { passed, failed: failed === 0 && code !== 0 ? 1 : failed, skipped: (count("skipped") ?? 0) + (count("todo") ?? 0) };
}

/** Reads Deno's closing `ok | N passed | M failed | K ignored` line. */
export function denoTally(colored: string, code: number | null): Tally {
  const output = plain(colored);
  const line = [...output.matchAll(/^(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?(?: \| (\d+) ignored)?/gm)].pop();
  if (!line) return { passed: 0, failed: 1, skipped: 0 };
  const failed = Number(line[3]);
  return { passed: Number(line[1]), failed: failed === 0 && code !== 0 ? 1 : failed, skipped: Number(line[5] ?? 0) };
}

