/** Test support (not published): a canonical dump of a v2 run store, to compare two migrations row for row. */
import { join } from "node:path";
import { createClient } from "@libsql/client";

/** A canonical text dump of a v2 run store: runs, commands and quarantine, to compare two migrations. */
export async function dumpV2(dir: string): Promise<string> {
  const client = createClient({ url: `file:${join(dir, "runs.db")}` });
  try {
    const parts: string[] = [];
    for (const sql of [
      "SELECT id, protocol_id, created_at, started_at, completed_at, status, command_count, doc, summary FROM runs ORDER BY id",
      "SELECT run_id, idx, command_id, doc FROM commands ORDER BY run_id, idx",
      "SELECT id, created_at, code, message, hex(bytes) FROM quarantine ORDER BY id",
    ]) {
      parts.push(JSON.stringify((await client.execute(sql)).rows.map((row) => Object.values(row))));
    }
    return parts.join("\n");
  } finally {
    client.close();
  }
}
