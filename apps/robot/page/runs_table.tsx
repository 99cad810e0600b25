/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * The runs table: newest first, each run's status, command count, start and end; a bad run stands out with its
 * error code and message and a delete button (the client script shows it and asks for confirmation).
 *
 * @module
 */
import type { JSX } from "hono/jsx/jsx-runtime";
import { formatTime } from "./format.ts";
import type { PageRun } from "./status_shapes.ts";

/** How many runs the page lists; the API has them all. */
export const RUNS_SHOWN = 50;

/** The runs, newest first and at most `RUNS_SHOWN` of them. */
export function newestRuns(runs: readonly PageRun[]): PageRun[] {
  const key = (run: PageRun) => run.createdAt ?? "";
  return [...runs].sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0)).slice(0, RUNS_SHOWN);
}

/** The code a bad run shows: the store's stable code where there is one. */
export function errorCode(run: PageRun): string {
  return run.dataError?.code ?? run.dataError?.meta?.code ?? run.dataError?.errorCode ?? "BAD_RUN";
}

/** The message a bad run shows. */
export function errorMessage(run: PageRun): string {
  return run.dataError?.message ?? run.dataError?.detail ?? run.dataError?.title ?? "this run could not be loaded";
}

/** One run as a table row (the client script updates its `data-f` cells from `run` events). */
export function RunRow(props: { run: PageRun }): JSX.Element {
  const { run } = props;
  const bad = run.dataError !== undefined;
  const href = `/page/runs/${encodeURIComponent(run.id)}`;
  return (
    <tr data-run={run.id} class={bad ? "bad" : undefined}>
      <td>
        <a href={href} class="mono">{run.id}</a>
        {run.current ? <span class="tag">current</span> : null}
        {bad ? (
          <p class="run-error">
            <strong class="mono">{errorCode(run)}</strong> {errorMessage(run)}
            <button type="button" class="danger" data-delete-run={run.id} hidden>
              Delete…
            </button>
          </p>
        ) : null}
      </td>
      <td data-f="status" data-label="Status">{bad ? "bad" : run.status ?? "–"}</td>
      <td data-f="commandCount" class="num" data-label="Commands">{run.commandCount ?? "–"}</td>
      <td data-label="Started"><time datetime={run.startedAt ?? run.createdAt}>{formatTime(run.startedAt ?? run.createdAt)}</time></td>
      <td data-f="completedAt" data-label="Ended"><time datetime={run.completedAt}>{formatTime(run.completedAt)}</time></td>
    </tr>
  );
}

/** The rows of the runs table, newest first; also served alone as the fragment the client swaps in. */
export function RunRows(props: { runs: readonly PageRun[] }): JSX.Element {
  const runs = newestRuns(props.runs);
  if (runs.length === 0) {
    return (
      <tr class="empty">
        <td colspan={5}>No runs yet.</td>
      </tr>
    );
  }
  return <>{runs.map((run) => <RunRow run={run} />)}</>;
}

/** The runs section. */
export function RunsSection(props: { runs: readonly PageRun[] }): JSX.Element {
  const more = props.runs.length - RUNS_SHOWN;
  return (
    <section class="card wide" aria-labelledby="runs-h">
      <h2 id="runs-h">Runs</h2>
      <div class="scroll" tabindex={0} role="region" aria-label="Runs table">
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">Commands</th>
              <th scope="col">Started</th>
              <th scope="col">Ended</th>
            </tr>
          </thead>
          <tbody id="runs-body">
            <RunRows runs={props.runs} />
          </tbody>
        </table>
      </div>
      {more > 0 ? <p class="note">{more} older runs are in the API at <a href="/runs">/runs</a>.</p> : null}
    </section>
  );
}
