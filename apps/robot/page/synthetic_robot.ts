/**
 * A stand-in robot for the status page's tests while the real app is being built: a Hono server on 127.0.0.1
 * with the status page mounted, the few API routes the page uses (Opentrons semantics, in memory) and a
 * `GET /events` stream of SYNTHETIC events in the CONTRACTS.md shapes (temperatures, collector counters, sync
 * status, system). Nothing here is real robot data; tests that use it say so.
 *
 * @module
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { mountStatusPage } from "../status_page.tsx";
import type { PageCollector, PageRun, PageSync, PageSystem } from "./status_shapes.ts";

interface StoredRun {
  run: PageRun & { status: string; commandCount: number };
  commands: { id: string; commandType: string; status: string; createdAt: string; completedAt: string }[];
}

/** The in-memory state of the synthetic robot; it outlives a server, so a test can stop and restart one. */
export interface SyntheticState {
  readonly runs: Map<string, StoredRun>;
  seq: number;
  samples: number;
}

/** A running synthetic robot. */
export interface SyntheticRobot {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
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
  return { runs, seq: 0, samples: 0 };
}

const collectors = (state: SyntheticState): PageCollector[] => [
  { name: "temperature", targetHz: 5, effectiveHz: state.samples > 5 ? 4.9 : 0, missedTicks: 1, errors: 0, reconnects: 0, running: true },
];
const sync = (state: SyntheticState): PageSync => ({
  online: true,
  queued: 2,
  uploading: 1,
  uploadedFiles: 10 + state.samples,
  uploadedBytes: 4_200_000 + state.samples * 1000,
  retries: 1,
  failed: 1,
  lastError: null,
  bytesPerSecond: 20_000 + (state.samples % 10) * 1000,
  failedFiles: [{ name: "capture-0007.mcap", reason: "target refused the upload: 413 Payload Too Large" }],
});
const system: PageSystem = { diskFreeBytes: 12_300_000_000, diskThresholdBytes: 500_000_000, dbBytes: 2_400_000, dataVersion: 2, migrating: false };

/** Options of the synthetic robot: `token` guards DELETE when given; `port` 0 (the default) picks a free one. */
export interface SyntheticOptions {
  readonly port?: number;
  readonly token?: string;
}

/** The synthetic robot's Hono app (status page mounted) and a way to push an event to every open stream. */
export function createSyntheticApp(state: SyntheticState, options: SyntheticOptions = {}): { app: Hono; emit(event: string, data: unknown): void } {
  const app = new Hono();
  const listeners = new Set<(event: string, data: unknown) => void>();
  const emit = (event: string, data: unknown) => listeners.forEach((listener) => listener(event, data));
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
  app.post("/runs/:id/commands", async (c) => {
    const stored = state.runs.get(c.req.param("id"));
    if (!stored) return notFound();
    const body = (await c.req.json()) as { data: StoredRun["commands"][number] | StoredRun["commands"] };
    const added = Array.isArray(body.data) ? body.data : [body.data];
    stored.commands.push(...added);
    stored.run.commandCount = stored.commands.length;
    emit("run", { runId: stored.run.id, kind: "commands", status: stored.run.status, commandCount: stored.run.commandCount, seq: ++state.seq });
    return c.json({ data: body.data }, 201);
  });
  app.delete("/runs/:id", (c) => {
    if (options.token && c.req.header("Authorization") !== `Bearer ${options.token}`) {
      return c.json({ errors: [{ id: "Unauthorized", title: "Unauthorized", detail: "a bearer token is required", errorCode: "4010" }] }, 401);
    }
    if (!state.runs.delete(c.req.param("id"))) return notFound();
    emit("run", { runId: c.req.param("id"), kind: "deleted", seq: ++state.seq });
    return c.json({});
  });
  app.get("/events", (c) =>
    streamSSE(c, async (stream) => {
      const send = (event: string, data: unknown) => void stream.writeSSE({ event, data: JSON.stringify(data) });
      listeners.add(send);
      send("collectors", collectors(state));
      send("sync", sync(state));
      send("system", system);
      const timer = setInterval(() => {
        const t = Date.now();
        state.samples++;
        send("samples", {
          collector: "temperature",
          samples: [{ t, values: { currentC: 23 - Math.min(19, state.samples * 0.2) + Math.sin(state.samples) * 0.05, targetC: 4 } }],
        });
        if (state.samples % 4 === 0) {
          send("collectors", collectors(state));
          send("sync", sync(state));
        }
      }, 250);
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      clearInterval(timer);
      listeners.delete(send);
    }),
  );
  mountStatusPage(app, {
    snapshot: async () => ({
      runs: [...state.runs.values()].map((s) => s.run),
      collectors: collectors(state),
      sync: sync(state),
      system,
    }),
  });
  return { app, emit };
}

/** Starts a synthetic robot on 127.0.0.1. */
export async function startSyntheticRobot(state: SyntheticState, options: SyntheticOptions = {}): Promise<SyntheticRobot> {
  const { app } = createSyntheticApp(state, options);
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: options.port ?? 0 }, () => resolve(s as Server));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
