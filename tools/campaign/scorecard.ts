/**
 * The reliability scorecard: plain data measured by a campaign, rendered to `docs/RELIABILITY.md`. Every figure in
 * the document comes from the data; a phase that did not run says so, and why, instead of showing numbers.
 *
 * @example
 * ```ts
 * await writeFile("docs/RELIABILITY.md", renderScorecard(scorecard));
 * ```
 */

/** How a phase ended. */
export type PhaseStatus = "passed" | "failed" | "skipped";

/** One phase of the campaign. */
export interface PhaseResult {
  readonly name: string;
  readonly status: PhaseStatus;
  readonly seconds: number;
  /** For `skipped`: why; for `failed`: what broke. */
  readonly reason?: string;
}

/** Latency and throughput of the load. */
export interface LoadFigures {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers that were not 2xx while the robot was up (not counting kills). */
  readonly errors: number;
}

/** Process figures at one end of the soak. */
export interface SoakPoint {
  readonly rssBytes: number;
  readonly openFds: number;
  readonly heapUsedBytes?: number;
  readonly eventLoopDelayMs?: number;
}

/** Everything a campaign measured. */
export interface Scorecard {
  readonly mode: "short" | "long";
  readonly seed: number;
  readonly startedAt: string;
  readonly seconds: number;
  readonly environment: string;
  readonly phases: readonly PhaseResult[];
  readonly kills?: {
    readonly rounds: number;
    readonly acknowledgedRuns: number;
    readonly acknowledgedCommands: number;
    readonly commandReads: number;
    readonly writesLost: number;
    readonly writesChanged: number;
    /** Commands served with the same values but their keys in another order. */
    readonly writesReordered: number;
  };
  readonly capture?: {
    readonly sessions: number;
    readonly messagesFound: number;
    readonly requiredMessages: number;
    readonly lostBeyondWindow: number;
    readonly flushIntervalMs: number;
    readonly unreadableFiles: number;
  };
  readonly files?: {
    readonly seen: number;
    readonly exactlyOnce: number;
    /** Finished files not uploaded yet: still on the robot at the end (not lost). */
    readonly pendingOnRobot: number;
    readonly lost: number;
    readonly duplicated: number;
    readonly wrongHash: number;
  };
  readonly changeFeed?: { readonly entries: number; readonly gaps: number; readonly runsWithoutEntry: number };
  readonly network?: {
    readonly requests: number;
    readonly byFault: Readonly<Record<string, number>>;
    /** Request-body bytes the proxy forwarded to the target (cut uploads included). */
    readonly bytesForwarded: number;
    /** File bytes the target received in upload requests (what resumes resent shows up here). */
    readonly uploadedBytes: number;
    /** Bytes of the distinct objects the target holds at the end. */
    readonly objectBytes: number;
    /** Who uploaded. */
    readonly uploader: string;
  };
  readonly fullDisk?: {
    readonly filesystem: string;
    readonly writesTried: number;
    readonly answeredBy: Readonly<Record<string, number>>;
    readonly readsServed: number;
    readonly recovered: boolean;
  };
  readonly hostile?: {
    readonly byClass: Readonly<Record<string, { readonly tried: number; readonly passed: number; readonly answeredBy: Readonly<Record<string, number>> }>>;
    readonly serverAlive: boolean;
    readonly refusedButChanged: number;
    readonly escapes: number;
  };
  /** Hostile stored data (corrupt rows, a future-version record, damaged capture files): each case and its outcome. */
  readonly storedData?: { readonly cases: readonly { readonly name: string; readonly ok: boolean; readonly outcome: string }[] };
  readonly upgrade?: {
    readonly v1Runs: number;
    readonly killedMidMigration: boolean;
    readonly runsAfter: number;
    readonly quarantined: number;
    readonly downgradeFound: boolean;
  };
  readonly load?: LoadFigures;
  readonly soak?: { readonly seconds: number; readonly samples: number; readonly start: SoakPoint; readonly end: SoakPoint; readonly maxEventLoopDelayMs?: number; readonly flat: boolean };
  /** Every broken invariant, precisely. */
  readonly failures: readonly string[];
}

const mib = (b: number) => `${(b / (1 << 20)).toFixed(1)} MiB`;
const count = (n: number) => n.toLocaleString("en-US");
const answered = (by: Readonly<Record<string, number>>) =>
  Object.entries(by).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k} ×${v}`).join(", ") || "—";

function phaseNote(scorecard: Scorecard, name: string): string | undefined {
  const phase = scorecard.phases.find((p) => p.name === name);
  if (!phase) return "not run in this campaign";
  return phase.status === "skipped" ? `skipped: ${phase.reason ?? "no reason given"}` : undefined;
}

/** Renders the scorecard as Markdown. */
export function renderScorecard(s: Scorecard): string {
  const out: string[] = [];
  const verdict = s.failures.length === 0 && s.phases.every((p) => p.status !== "failed") ? "**passed**" : "**FAILED**";
  out.push("# Deckhand reliability scorecard", "");
  out.push(
    `Written by the fault campaign (\`tools/campaign\`) from what it measured; do not edit by hand. ` +
      `Run it again with \`node --import tsx tools/campaign/campaign.ts --${s.mode}\`.`, "",
  );
  out.push(`- Campaign: ${s.mode}, seed ${s.seed}, started ${s.startedAt}, ${Math.round(s.seconds)} s: ${verdict}`);
  out.push(`- Environment: ${s.environment}`, "");
  out.push("## Headline", "", "| figure | value |", "|---|---|");
  if (s.kills) {
    out.push(`| kill -9 rounds (each followed by a restart and the checks) | ${count(s.kills.rounds)} |`);
    out.push(`| acknowledged writes checked (runs + commands) | ${count(s.kills.acknowledgedRuns + s.kills.acknowledgedCommands)} (${count(s.kills.acknowledgedRuns)} runs, ${count(s.kills.acknowledgedCommands)} commands; ${count(s.kills.commandReads)} command reads) |`);
    out.push(`| acknowledged writes lost | ${s.kills.writesLost} |`);
    out.push(`| acknowledged commands changed (other values) | ${s.kills.writesChanged} |`);
    out.push(`| reads of acknowledged commands answered with the keys reordered (same values, not byte-equal) | ${s.kills.writesReordered} |`);
  } else out.push(`| kill -9 rounds | ${phaseNote(s, "kill-rounds") ?? "—"} |`);
  if (s.capture) {
    out.push(`| capture messages lost beyond the flush window (${s.capture.flushIntervalMs} ms) | ${s.capture.lostBeyondWindow} (of ${count(s.capture.requiredMessages)} that had to survive; ${count(s.capture.messagesFound)} found) |`);
  }
  if (s.files) {
    out.push(`| finished capture files at the target exactly once, right hash | ${count(s.files.exactlyOnce)} of ${count(s.files.seen)} (${count(s.files.pendingOnRobot)} not uploaded, still on the robot) |`);
    out.push(`| files lost / duplicated / wrong hash at the target | ${s.files.lost} / ${s.files.duplicated} / ${s.files.wrongHash} |`);
  }
  if (s.changeFeed) out.push(`| change feed gaps | ${s.changeFeed.gaps} (over ${count(s.changeFeed.entries)} entries) |`);
  if (s.load) out.push(`| requests per second held under load | ${s.load.requestsPerSecond.toFixed(0)} (p50 ${s.load.p50Ms.toFixed(1)} ms, p99 ${s.load.p99Ms.toFixed(1)} ms) |`);
  if (s.hostile) {
    const tried = Object.values(s.hostile.byClass).reduce((n, c) => n + c.tried, 0);
    const passed = Object.values(s.hostile.byClass).reduce((n, c) => n + c.passed, 0);
    out.push(`| hostile inputs answered as required | ${passed} of ${tried} |`);
  }
  if (s.soak) out.push(`| soak memory / descriptors, start → end | ${mib(s.soak.start.rssBytes)} → ${mib(s.soak.end.rssBytes)} / ${s.soak.start.openFds} → ${s.soak.end.openFds} |`);
  out.push("");

  out.push("## Phases", "", "| phase | result | seconds | note |", "|---|---|---|---|");
  for (const p of s.phases) out.push(`| ${p.name} | ${p.status} | ${p.seconds.toFixed(0)} | ${(p.reason ?? "").replaceAll("|", "\\|").replaceAll("\n", " ")} |`);
  out.push("");

  out.push("## Flaky network (sync → fault proxy → ingest)", "");
  if (s.network) {
    out.push(`Uploader: ${s.network.uploader}. ${count(s.network.requests)} requests through the proxy: ${answered(s.network.byFault)}.`);
    out.push(`The target holds ${mib(s.network.objectBytes)} of distinct files; upload requests delivered ${mib(s.network.uploadedBytes)} of file bytes (${s.network.objectBytes > 0 ? (s.network.uploadedBytes / s.network.objectBytes).toFixed(3) : "—"}× what is held: resumed uploads that resent nothing keep this near 1); the proxy forwarded ${mib(s.network.bytesForwarded)} of request bodies.`, "");
  } else out.push(phaseNote(s, "flaky-network") ?? "no figures", "");

  out.push("## Full disk", "");
  if (s.fullDisk) {
    out.push(`Filesystem: ${s.fullDisk.filesystem}. ${s.fullDisk.writesTried} writes tried while full, answered: ${answered(s.fullDisk.answeredBy)}.`);
    out.push(`Reads served while full: ${s.fullDisk.readsServed}. Writes accepted again once space returned: ${s.fullDisk.recovered ? "yes" : "NO"}.`, "");
  } else out.push(phaseNote(s, "full-disk") ?? "no figures", "");

  out.push("## Hostile input", "");
  if (s.hostile) {
    out.push("| class | tried | answered as required | answered with |", "|---|---|---|---|");
    for (const [cls, c] of Object.entries(s.hostile.byClass)) out.push(`| ${cls} | ${c.tried} | ${c.passed} | ${answered(c.answeredBy)} |`);
    out.push("", `Server alive and answering after the corpus: ${s.hostile.serverAlive ? "yes" : "NO"}. Refused requests that changed something: ${s.hostile.refusedButChanged}. Files that escaped their directory: ${s.hostile.escapes}.`, "");
  } else out.push(phaseNote(s, "hostile-input") ?? "no figures", "");

  out.push("## Hostile stored data", "");
  if (s.storedData) {
    out.push("| case | held | outcome |", "|---|---|---|");
    for (const c of s.storedData.cases) out.push(`| ${c.name} | ${c.ok ? "yes" : "NO"} | ${c.outcome.replaceAll("|", "\\|")} |`);
    out.push("");
  } else out.push(phaseNote(s, "stored-data") ?? "no figures", "");

  out.push("## Upgrade and downgrade", "");
  if (s.upgrade) {
    out.push(`A generated v1 data root with ${s.upgrade.v1Runs} runs; killed mid-migration: ${s.upgrade.killedMidMigration ? "yes" : "no"}; runs served after the second boot: ${s.upgrade.runsAfter}; quarantined: ${s.upgrade.quarantined}; the previous version's data found on downgrade: ${s.upgrade.downgradeFound ? "yes" : "NO"}.`, "");
  } else out.push(phaseNote(s, "upgrade-downgrade") ?? "no figures", "");

  out.push("## Load and soak", "");
  if (s.load) out.push(`${count(s.load.requests)} requests in ${s.load.seconds.toFixed(0)} s: ${s.load.requestsPerSecond.toFixed(0)} req/s, p50 ${s.load.p50Ms.toFixed(1)} ms, p99 ${s.load.p99Ms.toFixed(1)} ms, ${s.load.errors} non-2xx answers while up.`);
  if (s.soak) {
    const point = (p: SoakPoint) =>
      `RSS ${mib(p.rssBytes)}, ${p.openFds} fds${p.heapUsedBytes !== undefined ? `, heap ${mib(p.heapUsedBytes)}` : ""}${p.eventLoopDelayMs !== undefined ? `, event-loop delay ${p.eventLoopDelayMs.toFixed(1)} ms` : ""}`;
    out.push("", `Soak of ${Math.round(s.soak.seconds)} s, ${s.soak.samples} samples: start ${point(s.soak.start)}; end ${point(s.soak.end)}${s.soak.maxEventLoopDelayMs !== undefined ? `; worst event-loop delay ${s.soak.maxEventLoopDelayMs.toFixed(1)} ms` : ""}. Flat: ${s.soak.flat ? "yes" : "NO"}.`);
  } else out.push("", phaseNote(s, "soak") ?? "no soak figures");
  out.push("");

  out.push("## Failures found", "");
  if (s.failures.length === 0) out.push("None.");
  else for (const f of s.failures) out.push(`- ${f.replaceAll("\n", " ")}`);
  out.push("");
  return out.join("\n");
}
