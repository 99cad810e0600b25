/**
 * The run store's tables, defined with drizzle-orm: the single source of the schema. drizzle-kit generates the
 * SQL migrations in `drizzle/` from this file (`pnpm run db:generate`, which also refreshes `migrations.ts`);
 * the store applies them when it opens and queries the tables with plain SQL through `@libsql/client`.
 * The exports are typed as `SQLiteTable` because `isolatedDeclarations` cannot spell drizzle's inferred types.
 *
 * Records are JSON text written by `@deckhand/serialize` codecs, with the codec version beside them
 * (`doc`/`version`); the fields that are queried (ids, times, status) are real, indexed columns.
 * Times are milliseconds since the Unix epoch.
 *
 * @module
 */
import {
  blob,
  foreignKey,
  index,
  integer,
  primaryKey,
  type SQLiteTable,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/** Protocols: metadata and the content hashes of the protocol's files, as one codec document. */
const protocolsTable = sqliteTable(
  "protocols",
  {
    id: text("id").primaryKey(),
    createdAt: integer("created_at").notNull(),
    version: integer("version").notNull(),
    doc: text("doc").notNull(),
  },
  (t) => [index("protocols_created_at").on(t.createdAt, t.id)],
);

/** Analyses of a protocol: the analysis JSON document, stored as given so it can be served without parsing. */
const analysesTable = sqliteTable(
  "analyses",
  {
    id: text("id").primaryKey(),
    protocolId: text("protocol_id")
      .notNull()
      .references(() => protocolsTable.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
    version: integer("version").notNull(),
    doc: text("doc").notNull(),
  },
  (t) => [index("analyses_protocol_created_at").on(t.protocolId, t.createdAt, t.id)],
);

/**
 * Runs: queried fields as columns; the run record (actions) and its end-of-run state summary as codec documents.
 * `summary` is null until `finishRun`; `interrupted_at` is set when a store opens and finds the run unfinished.
 */
const runsTable = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    protocolId: text("protocol_id").references(() => protocolsTable.id, { onDelete: "set null" }),
    createdAt: integer("created_at").notNull(),
    startedAt: integer("started_at"),
    completedAt: integer("completed_at"),
    interruptedAt: integer("interrupted_at"),
    status: text("status").notNull(),
    commandCount: integer("command_count").notNull().default(0),
    version: integer("version").notNull(),
    doc: text("doc").notNull(),
    summaryVersion: integer("summary_version"),
    summary: text("summary"),
  },
  (t) => [
    index("runs_created_at").on(t.createdAt, t.id),
    index("runs_status").on(t.status),
    index("runs_protocol_id").on(t.protocolId),
  ],
);

/** The commands of a run, one row per command, indexed 0..n-1 in the order they were appended. */
const commandsTable = sqliteTable(
  "commands",
  {
    runId: text("run_id").notNull(),
    idx: integer("idx").notNull(),
    commandId: text("command_id").notNull(),
    version: integer("version").notNull(),
    doc: text("doc").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.idx] }),
    uniqueIndex("commands_run_command_id").on(t.runId, t.commandId),
    foreignKey({ columns: [t.runId], foreignColumns: [runsTable.id], name: "commands_run_id_fk" }).onDelete("cascade"),
  ],
);

/**
 * The durable change log: one row per change, written in the same transaction as the change itself, so a
 * consumer that was down catches up from its last `seq`.
 */
const changesTable = sqliteTable(
  "changes",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    entity: text("entity").notNull(),
    id: text("id").notNull(),
    kind: text("kind").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [index("changes_entity_id").on(t.entity, t.id)],
);

/**
 * Records a migration could not convert into runs: the original bytes exactly as found, with the reason.
 * They are listed as bad runs (`dataError` is `code`/`message`) and deleted like runs, so nothing is dropped.
 */
const quarantineTable = sqliteTable(
  "quarantine",
  {
    id: text("id").primaryKey(),
    createdAt: integer("created_at").notNull(),
    code: text("code").notNull(),
    message: text("message").notNull(),
    bytes: blob("bytes").notNull(),
  },
  (t) => [index("quarantine_created_at").on(t.createdAt, t.id)],
);

/** The `protocols` table, for drizzle-kit and for tools that inspect the schema. */
export const protocols: SQLiteTable = protocolsTable;
/** The `analyses` table, for drizzle-kit and for tools that inspect the schema. */
export const analyses: SQLiteTable = analysesTable;
/** The `runs` table, for drizzle-kit and for tools that inspect the schema. */
export const runs: SQLiteTable = runsTable;
/** The `commands` table, for drizzle-kit and for tools that inspect the schema. */
export const commands: SQLiteTable = commandsTable;
/** The `changes` table, for drizzle-kit and for tools that inspect the schema. */
export const changes: SQLiteTable = changesTable;
/** The `quarantine` table, for drizzle-kit and for tools that inspect the schema. */
export const quarantine: SQLiteTable = quarantineTable;
