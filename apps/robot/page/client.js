// The status page's live layer: it keeps the server-rendered page current from GET /events (server-sent
// events, no polling), draws bounded uPlot series, shows when it is reconnecting, and deletes a bad run after
// a confirmation through the API. Plain browser JavaScript, no build step; format.test.ts checks `fmt`.
"use strict";
(() => {
  const $ = (selector, root = document) => root.querySelector(selector);
  const WINDOW_S = 300; // seconds of data a plot keeps
  const MAX_POINTS = 1200; // and never more points than this, so memory stays flat over hours
  const COLORS = ["#0a58ca", "#b42318", "#1a7f37", "#8250df"];

  const fmt = {
    bytes(n) {
      if (!Number.isFinite(n)) return "–";
      const units = ["B", "KB", "MB", "GB", "TB"];
      let v = Math.abs(n), u = 0;
      while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
      return `${n < 0 ? "-" : ""}${u === 0 ? String(Math.round(v)) : v.toPrecision(3)} ${units[u]}`;
    },
    hz: (n) => (Number.isFinite(n) ? `${n.toFixed(1)} Hz` : "–"),
    duration(ms) {
      if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "–";
      const s = Math.round(ms / 1000);
      if (s < 60) return `${s}s`;
      const m = Math.floor(s / 60);
      if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
      return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
    },
  };
  window.deckhandFormat = fmt;
  if (!document.getElementById("runs-body")) return;

  const setField = (root, field, text, cls) => {
    const el = root && root.querySelector(`[data-f="${field}"]`);
    if (!el) return;
    el.textContent = String(text);
    if (cls !== undefined) el.className = cls;
  };

  // ---- plots: one per key, each a ring of at most MAX_POINTS points over the last WINDOW_S seconds
  const plots = new Map();
  function plotFor(key, host, title, height, yFormat) {
    let p = plots.get(key);
    if (p) return p;
    const fig = document.createElement("figure");
    fig.className = "plot";
    fig.dataset.plot = key;
    fig.dataset.points = "0";
    fig.setAttribute("role", "img");
    fig.setAttribute("aria-label", `${title}, last ${WINDOW_S / 60} minutes`);
    const caption = document.createElement("figcaption");
    caption.textContent = `${title} (last ${WINDOW_S / 60} min)`;
    const box = document.createElement("div");
    fig.append(caption, box);
    host.append(fig);
    p = { fig, box, height, yFormat, fields: [], xs: [], ys: [], chart: null, queued: false };
    plots.set(key, p);
    new ResizeObserver(() => p.chart && p.chart.setSize({ width: box.clientWidth, height })).observe(box);
    return p;
  }
  function build(p) {
    if (p.chart) p.chart.destroy();
    const series = [{}, ...p.fields.map((f, i) => ({ label: f, stroke: COLORS[i % COLORS.length], width: 2 }))];
    const axes = [{}, p.yFormat ? { size: 70, values: (_u, ticks) => ticks.map(p.yFormat) } : {}];
    p.chart = new window.uPlot({ width: p.box.clientWidth || 300, height: p.height, series, axes, legend: { live: false } }, [p.xs, ...p.ys], p.box);
  }
  function append(p, t, values) {
    for (const f of Object.keys(values)) {
      if (!p.fields.includes(f)) { p.fields.push(f); p.ys.push(p.xs.map(() => null)); p.chart = p.chart && (p.chart.destroy(), null); }
    }
    if (p.xs.length && t / 1000 <= p.xs[p.xs.length - 1]) return; // uPlot needs ascending x: drop repeats
    p.xs.push(t / 1000);
    p.fields.forEach((f, i) => p.ys[i].push(typeof values[f] === "number" ? values[f] : null));
    const drop = Math.max(p.xs.length - MAX_POINTS, p.xs.findIndex((x) => x >= t / 1000 - WINDOW_S));
    if (drop > 0) { p.xs.splice(0, drop); for (const ys of p.ys) ys.splice(0, drop); }
    if (!p.queued) { p.queued = true; requestAnimationFrame(() => draw(p)); }
  }
  function draw(p) {
    p.queued = false;
    if (!window.uPlot) return;
    if (!p.chart) build(p);
    else p.chart.setData([p.xs, ...p.ys]);
    p.fig.dataset.points = String(p.xs.length);
  }

  // ---- runs
  const runsBody = $("#runs-body");
  const runRow = (id) => [...runsBody.rows].find((r) => r.dataset.run === id);
  const showDeleteButtons = () => runsBody.querySelectorAll("[data-delete-run]").forEach((b) => { b.hidden = false; });
  let refreshTimer = 0;
  function refreshRuns() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(async () => {
      const response = await fetch("/page/fragments/runs", { cache: "no-store" });
      if (!response.ok) throw new Error(`runs fragment: HTTP ${response.status}`);
      runsBody.innerHTML = await response.text();
      showDeleteButtons();
    }, 200);
  }
  function onRun(ev) {
    const row = runRow(ev.runId);
    if (ev.kind === "deleted") { if (row) row.remove(); if (!runsBody.rows.length) refreshRuns(); return; }
    if (ev.kind === "commands" && row) {
      if (typeof ev.commandCount === "number") setField(row, "commandCount", ev.commandCount);
      if (ev.status && !row.classList.contains("bad")) setField(row, "status", ev.status);
      return;
    }
    refreshRuns();
  }

  // ---- capture
  const collectorsBody = $("#collectors-body");
  function onCollectors(list) {
    const seen = new Set();
    for (const c of list) {
      seen.add(c.name);
      let row = [...collectorsBody.rows].find((r) => r.dataset.collector === c.name);
      if (!row) {
        row = collectorsBody.insertRow();
        row.dataset.collector = c.name;
        const th = document.createElement("th");
        th.scope = "row";
        th.className = "mono";
        th.textContent = c.name;
        row.append(th);
        const labels = { rate: "Rate / target", missedTicks: "Missed", errors: "Errors", reconnects: "Reconnects", running: "State" };
        for (const [f, label] of Object.entries(labels)) Object.assign(row.insertCell().dataset, { f, label });
      }
      const slow = c.running && c.effectiveHz < c.targetHz * 0.9;
      setField(row, "rate", `${fmt.hz(c.effectiveHz)} / ${fmt.hz(c.targetHz)}`, slow ? "num warn" : "num");
      setField(row, "missedTicks", c.missedTicks, "num");
      setField(row, "errors", c.errors, c.errors > 0 ? "num warn" : "num");
      setField(row, "reconnects", c.reconnects, "num");
      setField(row, "running", c.running ? "running" : "stopped");
    }
    for (const row of [...collectorsBody.rows]) if (!seen.has(row.dataset.collector)) row.remove();
  }
  function onSamples(batch) {
    const p = plotFor(`capture:${batch.collector}`, $("#capture-plots"), batch.collector, 260);
    for (const s of batch.samples) append(p, s.t, s.values);
  }

  // ---- sync
  const syncFacts = $("#sync");
  function onSync(s) {
    setField(syncFacts, "online", s.online ? "online" : "offline", s.online ? "ok" : "warn");
    setField(syncFacts, "queued", s.queued);
    setField(syncFacts, "uploaded", `${s.uploadedFiles} files, ${fmt.bytes(s.uploadedBytes)}`);
    setField(syncFacts, "rate", `${fmt.bytes(s.bytesPerSecond)}/s`);
    setField(syncFacts, "retries", s.retries ?? "–");
    const error = s.lastError;
    setField(syncFacts, "lastError", error == null ? "none" : typeof error === "string" ? error : `${error.code}: ${error.message}`);
    const list = $("#sync-failed");
    const items = (s.failedFiles || []).slice(0, 20).map((f) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.className = "mono";
      name.textContent = f.name;
      li.append(name, `: ${f.reason}`);
      return li;
    });
    if (!items.length) { const li = document.createElement("li"); li.className = "empty"; li.textContent = "No failed files."; items.push(li); }
    list.replaceChildren(...items);
    lastRate = s.bytesPerSecond;
    plotRate();
  }
  // The server sends sync status on change only; the rate holds until it says otherwise, so while the stream
  // is open the plot gets the last known rate once a second (a local timer, no request).
  let lastRate = null;
  const plotRate = () => append(plotFor("sync:rate", $("#sync-plots"), "Upload rate", 160, (v) => `${fmt.bytes(v)}/s`), Date.now(), { "upload rate": lastRate });
  setInterval(() => { if (lastRate !== null && live.dataset.state === "live") plotRate(); }, 1000);

  // ---- system and migration
  const systemFacts = $("#system");
  function onSystem(s) {
    const low = s.diskFreeBytes < s.diskThresholdBytes;
    setField(systemFacts, "disk", `${fmt.bytes(s.diskFreeBytes)} (capture stops below ${fmt.bytes(s.diskThresholdBytes)})`, low ? "warn" : "");
    setField(systemFacts, "dbBytes", fmt.bytes(s.dbBytes));
    setField(systemFacts, "dataVersion", s.dataVersion);
    const bar = $("#migration");
    if (!s.migrating && !bar.hidden) {
      // The migration finished: the runs exist now (the page was rendered while there were none to read).
      bar.hidden = true;
      refreshRuns();
    }
  }
  function onMigration(m) {
    const bar = $("#migration-bar");
    bar.max = m.total || 1;
    bar.value = m.done;
    const percent = m.total > 0 ? Math.floor((m.done / m.total) * 100) : 0;
    $("#migration-text").textContent = `${m.phase}: ${m.done} of ${m.total} (${percent}%), ETA ${fmt.duration(m.etaMs)}, ${m.quarantined} quarantined`;
    $("#migration").hidden = false;
  }

  // ---- deleting a bad run: a confirmation dialog, then DELETE /runs/:id with the token if one is given
  const dialog = $("#delete-dialog");
  const tokenInput = $("#delete-token");
  const deleteError = $("#delete-error");
  let pendingId = "";
  runsBody.addEventListener("click", (e) => {
    const button = e.target instanceof Element && e.target.closest("[data-delete-run]");
    if (!button) return;
    pendingId = button.dataset.deleteRun;
    $("#delete-id").textContent = pendingId;
    deleteError.textContent = "";
    tokenInput.value = sessionStorage.getItem("deckhand-token") || "";
    dialog.showModal();
  });
  dialog.querySelector("form").addEventListener("submit", async (e) => {
    if (!e.submitter || e.submitter.value !== "delete") return;
    e.preventDefault();
    const token = tokenInput.value.trim();
    deleteError.textContent = "Deleting…";
    let response;
    try {
      response = await fetch(`/runs/${encodeURIComponent(pendingId)}`, { method: "DELETE", headers: token ? { Authorization: `Bearer ${token}` } : {} });
    } catch (error) {
      deleteError.textContent = `The robot could not be reached (${error.message}).`;
      return;
    }
    if (response.ok) {
      if (token) sessionStorage.setItem("deckhand-token", token);
      const row = runRow(pendingId);
      if (row) row.remove();
      dialog.close();
      return;
    }
    const body = await response.json().catch((error) => ({ errors: [{ detail: String(error) }] }));
    const detail = body && body.errors && body.errors[0] ? body.errors[0].detail || body.errors[0].title : "";
    deleteError.textContent = response.status === 401 || response.status === 403
      ? "The robot refused the token: enter the robot's API token."
      : `The robot answered ${response.status}${detail ? `: ${detail}` : ""}.`;
  });
  showDeleteButtons();

  // ---- the event stream, reopened with backoff if the browser gives up on it
  const live = $("#live");
  const setState = (state, text) => { live.dataset.state = state; live.textContent = text; };
  const handlers = { run: onRun, samples: onSamples, collectors: onCollectors, sync: onSync, system: onSystem, migration: onMigration };
  let retryMs = 1000;
  let wasDown = false;
  function connect() {
    const source = new EventSource("/events");
    source.onopen = () => {
      retryMs = 1000;
      setState("live", "Live");
      if (wasDown) { wasDown = false; refreshRuns(); }
    };
    source.onerror = () => {
      wasDown = true;
      setState("reconnecting", "Reconnecting…");
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 15000);
      }
    };
    for (const [name, handle] of Object.entries(handlers)) {
      source.addEventListener(name, (e) => handle(JSON.parse(e.data)));
    }
  }
  setState("connecting", "Connecting…");
  connect();
})();
