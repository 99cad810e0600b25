/**
 * A SYNTHETIC robot for the page's server-side tests: a Hono app with the status page mounted over made-up
 * runs, collector counters and sync status, and the few API routes the page reads (Opentrons semantics, in
 * memory), so paging and bad-run rendering are checked without booting the app. The browser test drives the
 * real app instead (robot_under_test.ts).
 *
 * @module
 */
import { Hono } from "hono";
import { mountStatusPage } from "../status_page.tsx";
import type { PageCollector, PageRun, PageSync, PageSystem } from "./status_shapes.ts";

interface StoredRun {
  run: PageRun & { status: string; commandCount: number };
  commands: { id: string; commandType: string; status: string; createdAt: string; completedAt: string }[];
}

/** The in-memory state of the synthetic robot. */
export interface SyntheticState {
  readonly runs: Map<string, StoredRun>;
}

/** A synthetic state with two good runs and one bad run. */
export function syntheticState(): SyntheticState {
  const runs = new Map<string, StoredRun>();
  const at = (minutes: number) => new Date(Date.UTC(2026, 10, 29, 18, minutes)).toISOString();
  const add = (run: StoredRun["run"], commands = 0) => {
    runs.set(run.id, {
      run,
      commands: Array.from({ length: commands }, (_, i) => ({
        id: `${run.id}-c${i}`,
        commandType: i % 2 ? "aspirate" : "dispense",
        status: "succeeded",
        createdAt: at(i % 60),
        completedAt: at(i % 60),
      })),
    });
  };
  add({ id: "run-a", status: "succeeded", commandCount: 45, createdAt: at(1), startedAt: at(1), completedAt: at(9), current: false }, 45);
  add({ id: "run-b", status: "running", commandCount: 0, createdAt: at(20), startedAt: at(20), current: true });
  add({
    id: "run-bad",
    status: "bad",
    commandCount: 0,
    createdAt: at(10),
    dataError: { code: "MIGRATION_QUARANTINED", message: "legacy record could not be decoded (truncated msgpack)" },
  });
  return { runs };
}

const collectors: PageCollector[] = [
  { name: "temperature", targetHz: 5, effectiveHz: 4.9, missedTicks: 1, errors: 0, reconnects: 0, running: true },
];
const sync: PageSync = {
  online: true,
  queued: 2,
  uploading: 1,
  uploadedFiles: 10,
  uploadedBytes: 4_200_000,
  retries: 1,
  failed: 1,
  lastError: null,
  bytesPerSecond: 20_000,
  failedFiles: [{ name: "capture-0007.mcap", reason: "target refused the upload: 413 Payload Too Large" }],
};
const system: PageSystem = { diskFreeBytes: 12_300_000_000, diskThresholdBytes: 500_000_000, dbBytes: 2_400_000, dataVersion: 2, migrating: false };

/** The synthetic robot's Hono app, status page mounted. */
export function createSyntheticApp(state: SyntheticState): Hono {
  const app = new Hono();
  const envelope = (stored: StoredRun) => ({ data: stored.run });
  const notFound = () => Response.json({ errors: [{ id: "RunNotFound", title: "Run Not Found", detail: "no such run", errorCode: "4000" }] }, { status: 404 });

  app.get("/runs", (c) => c.json({ data: [...state.runs.values()].map((s) => s.run), meta: { cursor: 0, totalLength: state.runs.size } }));
  app.get("/runs/:id", (c) => {
    const stored = state.runs.get(c.req.param("id"));
    return stored ? c.json(envelope(stored)) : notFound();
  });
  app.get("/runs/:id/commands", (c) => {
    const stored = state.runs.get(c.req.param("id"));
    if (!stored) return notFound();
    const total = stored.commands.length;
    const pageLength = Number(c.req.query("pageLength") ?? 20);
    const asked = c.req.query("cursor");
    const cursor = Math.max(0, Math.min(asked === undefined ? total - pageLength : Number(asked), total - 1));
    return c.json({ data: stored.commands.slice(cursor, cursor + pageLength), meta: { cursor, totalLength: total } });
  });
  mountStatusPage(app, {
    snapshot: async () => ({
      runs: [...state.runs.values()].map((s) => s.run),
      collectors,
      sync,
      system,
    }),
  });
  return app;
}
