/**
 * Test support (not published): real Opentrons commands from the analyses vendored in `fixtures/opentrons/`,
 * as sample commands for `writeV1Fixture`.
 */
import { readdir, readFile } from "node:fs/promises";

const FIXTURES = new URL("../../fixtures/opentrons/", import.meta.url);

/** Every command of every vendored analysis. */
export async function opentronsCommands(): Promise<Record<string, unknown>[]> {
  const commands: Record<string, unknown>[] = [];
  for (const name of (await readdir(FIXTURES)).filter((n) => n.startsWith("analysis-") && n.endsWith(".json")).sort()) {
    const analysis = JSON.parse(await readFile(new URL(name, FIXTURES), "utf8")) as { commands: Record<string, unknown>[] };
    commands.push(...analysis.commands);
  }
  return commands;
}
