/** The shape of a `deckhand` subcommand module (`commands/<name>.ts`). */

/** Where a command writes; `isTTY` chooses between a live progress bar and plain throttled lines. */
export interface CliIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly isTTY: boolean;
}

/** A subcommand: a one-line description for `deckhand --help`, and its entry point returning the exit code. */
export interface CliCommand {
  readonly description: string;
  main(args: readonly string[], io: CliIO): Promise<number>;
}

/** Exit code for a usage error (unknown option, missing argument). */
export const USAGE_ERROR = 2;
