/**
 * `deckhand v1-fixture --root DIR [--runs 20] [--commands 10000] [--corrupt 0.01] [--seed 7]`: writes a legacy
 * v1 data root, deterministic from the seed, with commands sampled from the real Opentrons analyses vendored
 * in `fixtures/opentrons/` and a share of bad rows of every kind.
 */
import { readdir, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { V1_CORRUPT_KINDS, writeV1Fixture } from "@deckhand/migrate";
import { type CliIO, USAGE_ERROR } from "../cli_command.ts";

/** One line for `deckhand --help`. */
export const description = "write a legacy v1 data root (test and benchmark fixture)";

const HELP = `usage: deckhand v1-fixture --root DIR [--runs 20] [--commands 10000] [--corrupt 0.01] [--seed 7]

  --root DIR       where to write (DIR/v1 must not exist)
  --runs N         runs (rows) to write
  --commands N     commands per run, sampled from fixtures/opentrons analyses
  --corrupt SHARE  share of bad rows (0..1), cycling through: ${V1_CORRUPT_KINDS.join(", ")}
  --seed N         the same seed writes the same rows
`;

const FIXTURES = new URL("../../../fixtures/opentrons/", import.meta.url);

/** The commands of every vendored Opentrons analysis. */
export async function opentronsSampleCommands(): Promise<Record<string, unknown>[]> {
  const commands: Record<string, unknown>[] = [];
  for (const name of (await readdir(FIXTURES)).filter((n) => n.startsWith("analysis-") && n.endsWith(".json")).sort()) {
    commands.push(...(JSON.parse(await readFile(new URL(name, FIXTURES), "utf8")) as { commands: Record<string, unknown>[] }).commands);
  }
  return commands;
}

/** Runs the command; returns the exit code. */
export async function main(args: readonly string[], io: CliIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        root: { type: "string" },
        runs: { type: "string", default: "20" },
        commands: { type: "string", default: "10000" },
        corrupt: { type: "string", default: "0.01" },
        seed: { type: "string", default: "7" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`deckhand v1-fixture: ${(error as Error).message}\n\n${HELP}`);
    return USAGE_ERROR;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const [runs, commands, corrupt, seed] = [values.runs, values.commands, values.corrupt, values.seed].map(Number) as [number, number, number, number];
  if (!values.root || !Number.isInteger(runs) || !Number.isInteger(commands) || !Number.isInteger(seed) || !(corrupt >= 0 && corrupt <= 1)) {
    io.stderr.write(`deckhand v1-fixture: --root is required; --runs, --commands, --seed take integers, --corrupt a share 0..1\n\n${HELP}`);
    return USAGE_ERROR;
  }
  try {
    const report = await writeV1Fixture({
      root: resolve(values.root),
      runs,
      commandsPerRun: commands,
      corrupt,
      seed,
      sampleCommands: await opentronsSampleCommands(),
    });
    const bad = Object.entries(report.corrupt).map(([kind, ids]) => `${kind} ${ids.length}`).join(", ");
    io.stdout.write(`wrote ${report.runs} runs (${report.commands} commands) to ${report.dir}; bad rows: ${bad}\n`);
    return 0;
  } catch (error) {
    io.stderr.write(`deckhand v1-fixture: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
