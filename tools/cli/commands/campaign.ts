/**
 * `deckhand campaign [--short|--long] [--seconds N] [--rounds N] [--seed N] [--out FILE]`: the whole-system fault
 * campaign (kill -9 rounds, flaky network, full disk, hostile input, upgrade/downgrade, soak) and its scorecard,
 * `docs/RELIABILITY.md` by default. See `tools/campaign/README.md`.
 */
import { campaignMain } from "@deckhand/campaign";
import type { CliIO } from "../cli_command.ts";

/** One line for `deckhand --help`. */
export const description = "run the fault campaign and write the reliability scorecard (docs/RELIABILITY.md)";

/** Runs the command; returns the exit code (0 passed, 1 an invariant broke, 2 usage). */
export function main(args: readonly string[], io: CliIO): Promise<number> {
  return campaignMain(args, io.stdout);
}
