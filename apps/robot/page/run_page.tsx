/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * A run's page: its summary, its commands a page at a time (links, so it works without JavaScript) and its
 * reports as JSON, CSV and HTML. The data comes from the robot's own API (`/runs/:id`, `/runs/:id/commands`).
 *
 * @module
 */
import type { JSX } from "hono/jsx/jsx-runtime";
import { formatTime } from "./format.ts";
import { errorCode, errorMessage } from "./runs_table.tsx";
import { type AssetUrls, PageShell } from "./status_document.tsx";
import type { PageRun } from "./status_shapes.ts";

/** Commands per page on a run's page. */
export const COMMANDS_PER_PAGE = 20;

/** A command summary as `/runs/:id/commands` lists it (the fields the page shows). */
export interface PageCommand {
  readonly id: string;
  readonly commandType?: string;
  readonly status?: string;
  readonly createdAt?: string;
  readonly completedAt?: string;
  readonly error?: { readonly errorType?: string; readonly detail?: string } | null;
}

/** One page of a run's commands: the clamped cursor and the total, as the API's `meta` gives them. */
export interface CommandPage {
  readonly commands: readonly PageCommand[];
  readonly cursor: number;
  readonly totalLength: number;
}

function pageHref(runId: string, cursor: number): string {
  return `/page/runs/${encodeURIComponent(runId)}?cursor=${cursor}`;
}

function Pager(props: { runId: string; page: CommandPage }): JSX.Element {
  const { cursor, totalLength } = props.page;
  const last = Math.max(0, totalLength - COMMANDS_PER_PAGE);
  const earlier = Math.max(0, cursor - COMMANDS_PER_PAGE);
  const later = Math.min(last, cursor + COMMANDS_PER_PAGE);
  const link = (label: string, to: number, enabled: boolean) =>
    enabled ? <a href={pageHref(props.runId, to)}>{label}</a> : <span aria-disabled="true">{label}</span>;
  return (
    <nav class="pager" aria-label="Command pages">
      {link("First", 0, cursor > 0)}
      {link("Earlier", earlier, cursor > 0)}
      <span>
        {totalLength === 0 ? "no commands" : `${cursor + 1}–${Math.min(totalLength, cursor + COMMANDS_PER_PAGE)} of ${totalLength}`}
      </span>
      {link("Later", later, cursor < last)}
      {link("Last", last, cursor < last)}
    </nav>
  );
}

/** The run page; `page` is null when the run's commands could not be read (a bad run). */
export function RunDocument(props: { run: PageRun; page: CommandPage | null; assets: AssetUrls; renderedAt: Date }): JSX.Element {
  const { run, page } = props;
  const base = `/runs/${encodeURIComponent(run.id)}`;
  return (
    <PageShell title={`Run ${run.id}`} assets={props.assets} live={false} renderedAt={props.renderedAt}>
      <main class="single">
        <p>
          <a href="/">← All runs</a>
        </p>
        <section class="card" aria-labelledby="run-h">
          <h2 id="run-h">
            Run <span class="mono">{run.id}</span>
          </h2>
          <dl class="facts">
            <dt>Status</dt>
            <dd>{run.dataError ? "bad" : run.status ?? "–"}</dd>
            <dt>Created</dt>
            <dd>{formatTime(run.createdAt)}</dd>
            <dt>Started</dt>
            <dd>{formatTime(run.startedAt)}</dd>
            <dt>Ended</dt>
            <dd>{formatTime(run.completedAt)}</dd>
            {run.dataError ? (
              <>
                <dt>Error</dt>
                <dd class="warn">
                  <strong class="mono">{errorCode(run)}</strong> {errorMessage(run)}
                </dd>
              </>
            ) : null}
          </dl>
          <h3>Reports</h3>
          <ul class="links">
            <li><a href={`${base}/report.json`}>JSON</a></li>
            <li><a href={`${base}/report.csv`}>CSV</a></li>
            <li><a href={`${base}/report.html`}>HTML</a></li>
          </ul>
        </section>
        <section class="card" aria-labelledby="commands-h">
          <h2 id="commands-h">Commands</h2>
          {page ? (
            <>
              <Pager runId={run.id} page={page} />
              <div class="scroll" tabindex={0} role="region" aria-label="Commands table">
                <table>
                  <thead>
                    <tr>
                      <th scope="col" class="num">#</th>
                      <th scope="col">Command</th>
                      <th scope="col">Status</th>
                      <th scope="col">Created</th>
                      <th scope="col">Completed</th>
                    </tr>
                  </thead>
                  <tbody id="commands-body">
                    {page.commands.map((command, i) => (
                      <tr class={command.error ? "bad" : undefined}>
                        <td class="num">{page.cursor + i + 1}</td>
                        <td>
                          <span class="mono">{command.commandType ?? command.id}</span>
                          {command.error ? <p class="run-error">{command.error.errorType}: {command.error.detail}</p> : null}
                        </td>
                        <td>{command.status ?? "–"}</td>
                        <td>{formatTime(command.createdAt)}</td>
                        <td>{formatTime(command.completedAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          ) : (
            <p class="note">The commands of this run cannot be read.</p>
          )}
        </section>
      </main>
    </PageShell>
  );
}
