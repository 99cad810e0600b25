/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * The sync section: online or offline, queue, files and bytes uploaded, the upload rate (plotted live by the
 * client script) and the failed files with their reasons.
 *
 * @module
 */
import type { JSX } from "hono/jsx/jsx-runtime";
import { formatBytes } from "./format.ts";
import type { PageSync } from "./status_shapes.ts";

/** How many failed files the page lists. */
export const FAILED_SHOWN = 20;

/** The last sync error as one line (`CODE: message`), or "none". */
export function syncErrorText(error: PageSync["lastError"]): string {
  if (error === null || error === undefined) return "none";
  return typeof error === "string" ? error : `${error.code}: ${error.message}`;
}

/** The failed files, at most `FAILED_SHOWN`, with a line for the rest. */
export function FailedFiles(props: { sync: PageSync }): JSX.Element {
  const files = props.sync.failedFiles;
  if (files.length === 0) return <li class="empty">No failed files.</li>;
  return (
    <>
      {files.slice(0, FAILED_SHOWN).map((f) => (
        <li>
          <span class="mono">{f.name}</span>: {f.reason}
        </li>
      ))}
      {files.length > FAILED_SHOWN ? <li class="empty">and {files.length - FAILED_SHOWN} more</li> : null}
    </>
  );
}

/** The sync section; without a sync engine it says so. */
export function SyncSection(props: { sync: PageSync | null | undefined }): JSX.Element {
  const s = props.sync;
  return (
    <section class="card" aria-labelledby="sync-h">
      <h2 id="sync-h">Sync</h2>
      <dl id="sync" class="facts">
        <dt>Link</dt>
        <dd data-f="online" class={s ? (s.online ? "ok" : "warn") : undefined}>{s ? (s.online ? "online" : "offline") : "not running"}</dd>
        <dt>Queued</dt>
        <dd data-f="queued">{s ? s.queued : "–"}</dd>
        <dt>Uploaded</dt>
        <dd data-f="uploaded">{s ? `${s.uploadedFiles} files, ${formatBytes(s.uploadedBytes)}` : "–"}</dd>
        <dt>Rate</dt>
        <dd data-f="rate">{s ? `${formatBytes(s.bytesPerSecond)}/s` : "–"}</dd>
        <dt>Retries</dt>
        <dd data-f="retries">{s?.retries ?? "–"}</dd>
        <dt>Last error</dt>
        <dd data-f="lastError">{syncErrorText(s?.lastError)}</dd>
      </dl>
      <div id="sync-plots" class="plots"></div>
      <h3>Failed files</h3>
      <ul id="sync-failed" class="failed">
        {s ? <FailedFiles sync={s} /> : <li class="empty">No failed files.</li>}
      </ul>
    </section>
  );
}
