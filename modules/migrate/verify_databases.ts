/**
 * The database half of "verify before switching": every SQLite file in a built directory must pass
 * `PRAGMA integrity_check` and `PRAGMA foreign_key_check`.
 *
 * @module
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createClient } from "@libsql/client";

/** The problems found in the SQLite databases (`*.db`) under `dir`; empty when they all pass. */
export async function verifyDatabases(dir: string): Promise<string[]> {
  const problems: string[] = [];
  for (const path of await databaseFiles(dir)) {
    const client = createClient({ url: `file:${path}` });
    try {
      const integrity = await client.execute("PRAGMA integrity_check");
      const verdicts = integrity.rows.map((row) => String(row[0]));
      if (verdicts.length !== 1 || verdicts[0] !== "ok") {
        problems.push(`${path}: integrity_check: ${verdicts.slice(0, 5).join("; ")}`);
      }
      const foreignKeys = await client.execute("PRAGMA foreign_key_check");
      if (foreignKeys.rows.length > 0) {
        const first = foreignKeys.rows[0]!;
        problems.push(
          `${path}: foreign_key_check: ${foreignKeys.rows.length} row(s) point at missing parents (first: table ${String(first[0])}, rowid ${String(first[1])}, parent ${String(first[2])})`,
        );
      }
    } catch (error) {
      problems.push(`${path}: cannot be checked: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      client.close();
    }
  }
  return problems;
}

async function databaseFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await databaseFiles(path)));
    else if (entry.isFile() && entry.name.endsWith(".db")) files.push(path);
  }
  return files.sort();
}
