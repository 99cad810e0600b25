/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * The capture section: each collector's effective rate against its target, missed ticks, errors and
 * reconnects, and the place where the client script draws each collector's live plot.
 *
 * @module
 */
import type { JSX } from "hono/jsx/jsx-runtime";
import { formatHz } from "./format.ts";
import type { PageCollector } from "./status_shapes.ts";

/** One collector as a table row (the client script rewrites its `data-f` cells from `collectors` events). */
export function CollectorRow(props: { collector: PageCollector }): JSX.Element {
  const c = props.collector;
  const slow = c.running && c.effectiveHz < c.targetHz * 0.9;
  return (
    <tr data-collector={c.name}>
      <th scope="row" class="mono">{c.name}</th>
      <td data-f="rate" data-label="Rate / target" class={slow ? "num warn" : "num"}>
        {formatHz(c.effectiveHz)} / {formatHz(c.targetHz)}
      </td>
      <td data-f="missedTicks" data-label="Missed" class="num">{c.missedTicks}</td>
      <td data-f="errors" data-label="Errors" class={c.errors > 0 ? "num warn" : "num"}>{c.errors}</td>
      <td data-f="reconnects" data-label="Reconnects" class="num">{c.reconnects}</td>
      <td data-f="running" data-label="State">{c.running ? "running" : "stopped"}</td>
    </tr>
  );
}

/** The capture section. */
export function CaptureSection(props: { collectors: readonly PageCollector[] }): JSX.Element {
  return (
    <section class="card capture" aria-labelledby="capture-h">
      <h2 id="capture-h">Capture</h2>
      <div class="scroll" tabindex={0} role="region" aria-label="Collectors table">
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Collector</th>
              <th scope="col" class="num">Rate / target</th>
              <th scope="col" class="num">Missed</th>
              <th scope="col" class="num">Errors</th>
              <th scope="col" class="num">Reconnects</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody id="collectors-body">
            {props.collectors.length === 0 ? (
              <tr class="empty">
                <td colspan={6}>No collectors.</td>
              </tr>
            ) : (
              props.collectors.map((c) => <CollectorRow collector={c} />)
            )}
          </tbody>
        </table>
      </div>
      <div id="capture-plots" class="plots" aria-live="off"></div>
      <noscript>
        <p class="note">The live plots of the last minutes need JavaScript.</p>
      </noscript>
    </section>
  );
}
