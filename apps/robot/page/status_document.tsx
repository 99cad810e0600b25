/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * The page shell (head, header with the live indicator, the delete confirmation) and the status page itself:
 * runs, capture, sync and system on one screen, complete without JavaScript.
 *
 * @module
 */
import type { Child } from "hono/jsx";
import type { JSX } from "hono/jsx/jsx-runtime";
import { CaptureSection } from "./capture_section.tsx";
import { RunsSection } from "./runs_table.tsx";
import type { PageSnapshot } from "./status_shapes.ts";
import { SyncSection } from "./sync_section.tsx";
import { SystemSection } from "./system_section.tsx";

/** The URLs of the page's scripts and style sheets (content-hashed, so they can be cached for good). */
export interface AssetUrls {
  readonly css: string;
  readonly js: string;
  readonly uplotCss: string;
  readonly uplotJs: string;
}

/** The HTML document around a page's content; `live` pages load the client script. */
export function PageShell(props: { title: string; assets: AssetUrls; live: boolean; renderedAt: Date; children?: Child }): JSX.Element {
  const { assets } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <link rel="icon" href="data:," />
        {props.live ? <link rel="stylesheet" href={assets.uplotCss} /> : null}
        <link rel="stylesheet" href={assets.css} />
        {props.live ? <script src={assets.uplotJs} defer></script> : null}
        {props.live ? <script src={assets.js} defer></script> : null}
      </head>
      <body>
        <header class="top">
          <h1>
            <a href="/">Deckhand robot</a>
          </h1>
          <p id="live" data-state="snapshot" role="status">
            Snapshot of {props.renderedAt.toISOString().slice(11, 19)} UTC
          </p>
        </header>
        {props.children}
      </body>
    </html>
  );
}

function DeleteDialog(): JSX.Element {
  return (
    <dialog id="delete-dialog" aria-labelledby="delete-h">
      <form method="dialog">
        <h2 id="delete-h">
          Delete run <span class="mono" id="delete-id"></span>?
        </h2>
        <p>The run and everything stored with it are deleted from the robot. This cannot be undone.</p>
        <label for="delete-token">API token (when the robot requires one)</label>
        <input type="password" id="delete-token" autocomplete="off" />
        <p id="delete-error" class="warn" role="alert"></p>
        <div class="actions">
          <button type="submit" value="cancel" formnovalidate>
            Cancel
          </button>
          <button type="submit" value="delete" class="danger" id="delete-confirm">
            Delete run
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** The status page, `GET /`. */
export function StatusDocument(props: { snapshot: PageSnapshot; assets: AssetUrls; renderedAt: Date }): JSX.Element {
  const s = props.snapshot;
  return (
    <PageShell title="Deckhand robot status" assets={props.assets} live={true} renderedAt={props.renderedAt}>
      <main class="grid">
        <RunsSection runs={s.runs} />
        <CaptureSection collectors={s.collectors} />
        <SyncSection sync={s.sync} />
        <SystemSection system={s.system} migration={s.migration} />
      </main>
      <DeleteDialog />
    </PageShell>
  );
}
