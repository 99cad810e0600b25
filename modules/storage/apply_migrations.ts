/**
 * Applies the drizzle-kit migrations that a database has not seen yet, all in one transaction, and records
 * them in drizzle's own `__drizzle_migrations` table (same columns and rules as drizzle-orm's migrator, so the
 * two agree about which migrations a database has).
 *
 * @module
 */
import type { Client } from "@libsql/client";
import type { Migration } from "./migrations.ts";

/**
 * Brings the database behind `client` up to the last of `migrations` and returns how many were applied.
 * A crash at any instant leaves the database either before or after the whole set: the statements and their
 * bookkeeping rows commit together.
 *
 * @example
 * ```ts
 * import { MIGRATIONS } from "./migrations.ts";
 * const applied = await applyMigrations(client, MIGRATIONS);
 * ```
 */
export async function applyMigrations(client: Client, migrations: readonly Migration[]): Promise<number> {
  await client.execute(
    "CREATE TABLE IF NOT EXISTS `__drizzle_migrations` (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)",
  );
  const last = await client.execute("SELECT created_at FROM `__drizzle_migrations` ORDER BY created_at DESC LIMIT 1");
  const lastWhen = last.rows.length > 0 ? Number(last.rows[0]![0]) : undefined;
  const pending = migrations.filter((migration) => lastWhen === undefined || lastWhen < migration.when);
  if (pending.length === 0) return 0;
  const statements = pending.flatMap((migration) => [
    ...migration.statements.filter((statement) => statement.trim().length > 0),
    {
      sql: "INSERT INTO `__drizzle_migrations` (hash, created_at) VALUES (?, ?)",
      args: [migration.hash, migration.when],
    },
  ]);
  await client.migrate(statements);
  return pending.length;
}
