/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * The system section: disk free against the capture policy's threshold, database size, data version and,
 * while a migration runs, its progress bar with the ETA (the progress `/health` reports).
 *
 * @module
 */
import type { JSX } from "hono/jsx/jsx-runtime";
import { formatBytes, formatDuration } from "./format.ts";
import type { PageMigration, PageSystem } from "./status_shapes.ts";

/** The migration progress line: phase, items, ETA and quarantined records. */
export function migrationText(m: PageMigration): string {
  const percent = m.total > 0 ? Math.floor((m.done / m.total) * 100) : 0;
  return `${m.phase}: ${m.done} of ${m.total} (${percent}%), ETA ${formatDuration(m.etaMs)}, ${m.quarantined} quarantined`;
}

/** The system section. */
export function SystemSection(props: { system: PageSystem | null | undefined; migration: PageMigration | null | undefined }): JSX.Element {
  const s = props.system;
  const m = props.migration;
  const low = s ? s.diskFreeBytes < s.diskThresholdBytes : false;
  return (
    <section class="card" aria-labelledby="system-h">
      <h2 id="system-h">System</h2>
      <dl id="system" class="facts">
        <dt>Disk free</dt>
        <dd data-f="disk" class={low ? "warn" : undefined}>
          {s ? `${formatBytes(s.diskFreeBytes)} (capture stops below ${formatBytes(s.diskThresholdBytes)})` : "–"}
        </dd>
        <dt>Database</dt>
        <dd data-f="dbBytes">{s ? formatBytes(s.dbBytes) : "–"}</dd>
        <dt>Data version</dt>
        <dd data-f="dataVersion">{s ? String(s.dataVersion) : "–"}</dd>
      </dl>
      <div id="migration" hidden={!(m && (s?.migrating ?? true))}>
        <h3>Migrating</h3>
        <progress id="migration-bar" max={m?.total || 1} value={m?.done ?? 0} aria-label="Migration progress"></progress>
        <p id="migration-text">{m ? migrationText(m) : ""}</p>
      </div>
    </section>
  );
}
