/**
 * The project CLI: `deckhand <command> [options]`. Each subcommand is one file under `commands/` (its name with
 * `-` for `_`: `commands/v1_fixture.ts` is `deckhand v1-fixture`) exporting `description` and
 * `main(args, io)`; adding a file adds a command.
 *
 *   node --import tsx tools/cli/deckhand.ts migrate --root DIR [--dry-run] [--workers N]
 *   npm run deckhand -- migrate --root DIR
 */
import { readdir } from "node:fs/promises";
import process from "node:process";
import type { CliCommand } from "./cli_command.ts";

const commandsDir = new URL("./commands/", import.meta.url);

async function commandNames(): Promise<string[]> {
  return (await readdir(commandsDir))
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
    .map((name) => name.slice(0, -3).replaceAll("_", "-"))
    .sort();
}

async function load(name: string): Promise<CliCommand> {
  return (await import(new URL(`${name.replaceAll("-", "_")}.ts`, commandsDir).href)) as CliCommand;
}

async function usage(): Promise<string> {
  const lines = ["usage: deckhand <command> [options]", "", "commands:"];
  for (const name of await commandNames()) lines.push(`  ${name.padEnd(14)} ${(await load(name)).description}`);
  lines.push("", "deckhand <command> --help shows a command's options.");
  return lines.join("\n");
}

const [name, ...args] = process.argv.slice(2);
if (name === undefined || name === "--help" || name === "-h" || name === "help") {
  console.log(await usage());
  process.exitCode = name === undefined ? 2 : 0;
} else if (!(await commandNames()).includes(name)) {
  console.error(`deckhand: unknown command "${name}"\n\n${await usage()}`);
  process.exitCode = 2;
} else {
  const io = { stdout: process.stdout, stderr: process.stderr, isTTY: process.stdout.isTTY === true };
  process.exitCode = await (await load(name)).main(args, io);
}
