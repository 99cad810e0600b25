/**
 * Run reports (`/runs/:id/report.json|.csv|.html`) through the `@deckhand/serialize` render cache. A report's
 * input is `{ runId, rev }`, where `rev` is the sequence number of the run's latest entry in the storage change
 * feed: a change makes new keys (the old render is stale), and the key is the HTTP ETag. A request renders the
 * current rev at once; background renders of a run that keeps changing wait until it has been quiet for the
 * debounce time (and at most five times that). At start, a scan of the change log rebuilds every run's rev
 * (catching changes made while the app was down), renders what is missing, then GC drops renders no run refers to.
 *
 * @module
 */
import type { ChangeEntry, RunStore, StoredCommand } from "@deckhand/storage";
import { createRenderCache, type RenderCache, type Renderer, type RenderFailed, type RenderReady, renderJobs } from "@deckhand/serialize";
import { wireCommand, wireRun } from "./run_views.ts";

/** The report formats. */
export type ReportFormat = "json" | "csv" | "html";

/** A report's render input. */
export interface ReportInput {
  readonly runId: string;
  readonly rev: number;
}

const PAGE = 1000;

async function* allCommands(store: RunStore, runId: string, total: number): AsyncGenerator<StoredCommand> {
  for (let cursor = 0; cursor < total; cursor += PAGE) {
    const page = await store.listCommands(runId, { cursor, pageLength: PAGE });
    yield* page.commands;
    if (page.commands.length === 0) break;
  }
}

function csvField(value: unknown): string {
  const text = value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function html(text: unknown): string {
  return String(text ?? "").replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function renderers(store: RunStore): Record<ReportFormat, Renderer<ReportInput>> {
  return {
    json: {
      name: "run-report-json", version: 1, contentType: "application/json",
      async *render({ runId }) {
        const run = await store.getRun(runId);
        const head = JSON.stringify({ run: wireRun(run, null) });
        yield `${head.slice(0, -1)},"commands":[`;
        let first = true;
        for await (const command of allCommands(store, runId, run.commandCount)) {
          yield `${first ? "" : ","}${JSON.stringify(wireCommand(command))}`;
          first = false;
        }
        yield "]}";
      },
    },
    csv: {
      name: "run-report-csv", version: 1, contentType: "text/csv; charset=utf-8",
      async *render({ runId }) {
        const run = await store.getRun(runId);
        yield "index,id,commandType,status,createdAt,startedAt,completedAt,error\r\n";
        for await (const stored of allCommands(store, runId, run.commandCount)) {
          const c = stored.kind === "ok" ? stored.command : { id: stored.id, commandType: "", status: "bad-record", error: stored.dataError.code };
          yield [stored.index, c.id, c.commandType, c["status"], c["createdAt"], c["startedAt"], c["completedAt"], c["error"]].map(csvField).join(",") + "\r\n";
        }
      },
    },
    html: {
      name: "run-report-html", version: 1, contentType: "text/html; charset=utf-8",
      async *render({ runId }) {
        const run = await store.getRun(runId);
        yield `<!doctype html><html><head><meta charset="utf-8"><title>Run ${html(run.id)}</title></head><body>`;
        yield `<h1>Run ${html(run.id)}</h1><p>Status: ${html(run.status)}; created ${html(run.createdAt)}; ${run.commandCount} commands</p>`;
        if (run.kind === "bad") yield `<p>Bad run: ${html(run.dataError.code)}: ${html(run.dataError.message)}</p>`;
        yield "<table><thead><tr><th>#</th><th>id</th><th>type</th><th>status</th></tr></thead><tbody>";
        for await (const stored of allCommands(store, runId, run.commandCount)) {
          const c = stored.kind === "ok" ? stored.command : { id: stored.id, commandType: "(bad record)", status: stored.dataError.code };
          yield `<tr><td>${stored.index}</td><td>${html(c.id)}</td><td>${html(c.commandType)}</td><td>${html(c["status"])}</td></tr>`;
        }
        yield "</tbody></table></body></html>";
      },
    },
  };
}

const FORMATS: readonly ReportFormat[] = ["json", "csv", "html"];

/** Options of `openRunReports`. */
export interface RunReportsOptions {
  readonly store: RunStore;
  /** The render cache's directory. */
  readonly dir: string;
  readonly debounceMs: number;
  /** Called on background failures (they are also recorded by the cache). */
  readonly onError?: (error: unknown) => void;
}

/** The reports of every run, kept fresh from the change feed. */
export class RunReports {
  readonly #store: RunStore;
  readonly #cache: RenderCache;
  readonly #renderers: Record<ReportFormat, Renderer<ReportInput>>;
  readonly #debounceMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #revs = new Map<string, number>();
  readonly #timers = new Map<string, { timer: ReturnType<typeof setTimeout>; firstAt: number }>();
  readonly #background = new Set<Promise<unknown>>();
  #gcTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  readonly #abort = new AbortController();
  #unsubscribe: () => void = () => undefined;

  private constructor(options: RunReportsOptions, cache: RenderCache) {
    this.#store = options.store;
    this.#cache = cache;
    this.#renderers = renderers(options.store);
    this.#debounceMs = options.debounceMs;
    this.#onError = options.onError ?? ((error) => console.error("robot: report render failed", error));
  }

  /** Opens the cache, subscribes to the change feed, and starts the startup scan in the background. */
  static async open(options: RunReportsOptions): Promise<RunReports> {
    const renderersOf = renderers(options.store);
    const cache = await createRenderCache({ dir: options.dir, renderers: Object.values(renderersOf) });
    const reports = new RunReports(options, cache);
    reports.#unsubscribe = options.store.subscribe((change) => reports.#onChange(change));
    await reports.#scanChanges();
    reports.#track(reports.#renderMissing());
    return reports;
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => {
      if (!this.#closed) this.#onError(error);
    }).finally(() => this.#background.delete(tracked));
    this.#background.add(tracked);
  }

  async #scanChanges(): Promise<void> {
    let since = 0;
    for (;;) {
      const batch = await this.#store.changes(since, { limit: 5000 });
      if (batch.length === 0) break;
      for (const change of batch) this.#apply(change);
      since = batch[batch.length - 1]!.seq;
    }
  }

  #apply(change: ChangeEntry): void {
    if (change.entity !== "run") return;
    if (change.kind === "deleted") this.#revs.delete(change.id);
    else if ((this.#revs.get(change.id) ?? -1) < change.seq) this.#revs.set(change.id, change.seq);
  }

  async #renderMissing(): Promise<void> {
    const jobs = [...this.#revs].flatMap(([runId, rev]) => FORMATS.map((f) => ({ renderer: this.#renderers[f], input: { runId, rev } })));
    await renderJobs(this.#cache, jobs, { concurrency: 1, signal: this.#abort.signal });
    await this.gc();
  }

  #onChange(change: ChangeEntry): void {
    if (this.#closed || change.entity !== "run") return;
    this.#apply(change);
    if (change.kind === "deleted") {
      const pending = this.#timers.get(change.id);
      if (pending) clearTimeout(pending.timer);
      this.#timers.delete(change.id);
      this.#scheduleGc();
      return;
    }
    const now = Date.now();
    const pending = this.#timers.get(change.id);
    if (pending) clearTimeout(pending.timer);
    const firstAt = pending?.firstAt ?? now;
    const wait = Math.max(0, Math.min(this.#debounceMs, firstAt + 5 * this.#debounceMs - now));
    const timer = setTimeout(() => {
      this.#timers.delete(change.id);
      const rev = this.#revs.get(change.id);
      if (rev === undefined || this.#closed) return;
      this.#track(Promise.all(FORMATS.map((f) => this.#cache.status(this.#renderers[f], { runId: change.id, rev }))));
      this.#scheduleGc();
    }, wait);
    timer.unref();
    this.#timers.set(change.id, { timer, firstAt });
  }

  #scheduleGc(): void {
    if (this.#gcTimer !== undefined || this.#closed) return;
    this.#gcTimer = setTimeout(() => {
      this.#gcTimer = undefined;
      this.#track(this.gc());
    }, Math.max(1000, this.#debounceMs * 5));
    this.#gcTimer.unref();
  }

  /** The input of a run's report now (rev 0 for a run the feed has not named, e.g. created by another writer). */
  input(runId: string): ReportInput {
    return { runId, rev: this.#revs.get(runId) ?? 0 };
  }

  /** The ETag of a run's report now, without rendering. */
  key(format: ReportFormat, runId: string): string {
    return this.#cache.key(this.#renderers[format], this.input(runId));
  }

  /** The report, rendered if needed. */
  get(format: ReportFormat, runId: string, signal?: AbortSignal): Promise<RenderReady | RenderFailed> {
    return this.#cache.get(this.#renderers[format], this.input(runId), signal ? { signal } : {});
  }

  /** Removes renders that no run's current rev refers to. */
  async gc(): Promise<{ removed: number }> {
    const live = [...this.#revs].flatMap(([runId, rev]) => FORMATS.map((f) => this.#cache.key(this.#renderers[f], { runId, rev })));
    return await this.#cache.gc(live);
  }

  /** Render cache figures (for metrics). */
  stats(): ReturnType<RenderCache["stats"]> {
    return this.#cache.stats();
  }

  /** Stops background work and closes the cache. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    this.#abort.abort();
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    if (this.#gcTimer) clearTimeout(this.#gcTimer);
    await this.#cache.close();
    await Promise.allSettled([...this.#background]);
  }
}
