/**
 * `deckhand migrate --root DIR [--dry-run] [--workers N] [--target N] [--json]`: brings a robot data root to the
 * current data version (v1 -> v2), with a progress bar on a terminal and throttled plain lines otherwise.
 * `--dry-run` builds and verifies everything outside the root, reports counts and what would be quarantined,
 * and changes nothing.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  MigrateError,
  migrateDataRoot,
  type MigrationProgress,
  type MigrationResult,
  ROBOT_DATA_VERSION,
  robotMigrations,
} from "@deckhand/migrate";
import { type CliIO, USAGE_ERROR } from "../cli_command.ts";

/** One line for `deckhand --help`. */
export const description = "migrate a robot data root to the current data version (v1 -> v2)";

const HELP = `usage: deckhand migrate --root DIR [--dry-run] [--workers N] [--target N] [--json]

  --root DIR     the data root (holds v1/, v2/, ...)
  --dry-run      build and verify outside the root, report, change nothing
  --workers N    decoding worker threads (default: the number of cores)
  --target N     the data version to reach (default ${ROBOT_DATA_VERSION})
  --json         print the result as JSON
`;

/** Runs the command; returns the exit code (0 done, 1 failed, 2 usage). */
export async function main(args: readonly string[], io: CliIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        root: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        workers: { type: "string" },
        target: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`deckhand migrate: ${(error as Error).message}\n\n${HELP}`);
    return USAGE_ERROR;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  const target = values.target === undefined ? ROBOT_DATA_VERSION : Number(values.target);
  if (!values.root || (workers !== undefined && !(Number.isInteger(workers) && workers > 0)) || !Number.isInteger(target)) {
    io.stderr.write(`deckhand migrate: --root is required; --workers and --target take positive integers\n\n${HELP}`);
    return USAGE_ERROR;
  }
  const show = io.isTTY ? progressBar(io) : progressLines(io);
  const started = Date.now();
  let result: MigrationResult;
  try {
    result = await migrateDataRoot({
      root: resolve(values.root),
      target,
      migrations: robotMigrations,
      ...(workers === undefined ? {} : { workers }),
      dryRun: values["dry-run"],
      progressIntervalMs: io.isTTY ? 100 : 1000,
      onProgress: show,
    });
  } catch (error) {
    if (io.isTTY) io.stdout.write("\n");
    const code = error instanceof MigrateError ? error.code : "ERROR";
    io.stderr.write(`deckhand migrate: ${code}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  if (io.isTTY) io.stdout.write("\n");
  io.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : summary(result, Date.now() - started));
  return 0;
}

function percent(p: MigrationProgress): number {
  return p.total === 0 ? (p.phase === "done" ? 100 : 0) : Math.floor((p.done / p.total) * 100);
}

function eta(p: MigrationProgress): string {
  return p.etaMs === null ? "?" : `${(p.etaMs / 1000).toFixed(1)}s`;
}

function progressBar(io: CliIO): (p: MigrationProgress) => void {
  return (p) => {
    const width = 30;
    const filled = Math.round((percent(p) / 100) * width);
    const bar = `${"#".repeat(filled)}${".".repeat(width - filled)}`;
    io.stdout.write(
      `\r[${bar}] ${String(percent(p)).padStart(3)}% ${p.phase} ${p.done}/${p.total}, ${p.quarantined} quarantined, ${p.itemsPerSecond}/s, eta ${eta(p)}   `,
    );
  };
}

function progressLines(io: CliIO): (p: MigrationProgress) => void {
  return (p) => {
    io.stdout.write(`${p.phase}: ${p.done}/${p.total} (${percent(p)}%), ${p.quarantined} quarantined, ${p.itemsPerSecond}/s, eta ${eta(p)}\n`);
  };
}

function summary(result: MigrationResult, ms: number): string {
  const lines: string[] = [];
  const verb = result.dryRun ? "would" : "did";
  if (result.migratedFrom === null) {
    lines.push(
      result.created
        ? `${result.dryRun ? "would create" : "created"} an empty v${result.version} (no older data version)`
        : `v${result.version} is already complete; nothing to do`,
    );
  } else {
    lines.push(
      `${result.dryRun ? "dry run: would migrate" : "migrated"} v${result.migratedFrom} -> v${result.version}: ${result.migrated} records, ${result.quarantined} quarantined, in ${(ms / 1000).toFixed(1)}s`,
    );
    for (const step of result.steps) {
      for (const [reason, count] of Object.entries(step.quarantinedByReason)) {
        lines.push(`  v${step.from} -> v${step.to} ${verb} quarantine ${count} (${reason})`);
      }
    }
  }
  if (result.removedTempDirs > 0) lines.push(`removed ${result.removedTempDirs} leftover temporary directories`);
  if (result.newerVersions.length > 0) lines.push(`left newer data versions alone: ${result.newerVersions.map((v) => `v${v}`).join(", ")}`);
  lines.push(result.dryRun ? `nothing was changed; the data would be in ${result.dir}` : `data: ${result.dir}`);
  return `${lines.join("\n")}\n`;
}
