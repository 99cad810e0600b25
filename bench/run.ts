/**
 * Runs the bench suites (`bench/<name>/<name>.bench.ts`), each in its own Node process so one suite's heap
 * and JIT state cannot colour another's, prints one table per suite, and writes every result as JSON.
 *
 *   node --import tsx bench/run.ts [--quick] [--check] [--update-baseline] [--json FILE] [suite ...]
 *
 * --quick            CI's short mode: smaller inputs, shorter time budgets.
 * --check            fail (exit 1) when a contender's ratio to its baseline falls more than 25% below the ratio
 *                    committed in bench/baseline.json for this mode; a regressed suite is retried twice and the
 *                    best ratio per contender counts, since one noisy run must not fail CI.
 * --update-baseline  measure each suite three times and write the lowest ratio of each contender into
 *                    bench/baseline.json (for this mode): a conservative reference that noise alone cannot fail.
 * --json FILE        where to write the results (default bench/results/latest[-quick].json).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { formatSuite, runSuite, type SuiteDefinition, type SuiteResult } from "./harness.ts";
import { bestOf, checkRatios, type CommittedRatios, type RatioCheck, withRatios } from "./regression.ts";
import { parseArgs } from "./run_args.ts";

const benchDir = dirname(fileURLToPath(import.meta.url));
const baselinePath = join(benchDir, "baseline.json");

async function findSuites(filters: readonly string[]): Promise<{ name: string; file: string }[]> {
  const suites: { name: string; file: string }[] = [];
  for (const entry of await readdir(benchDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === "node_modules" || entry.name === "results") continue;
    const file = join(benchDir, entry.name, `${entry.name}.bench.ts`);
    const exists = await readFile(file).then(() => true, () => false);
    if (exists && (filters.length === 0 || filters.includes(entry.name))) suites.push({ name: entry.name, file });
  }
  return suites.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Child mode: run one suite in this process and write its result to `out`. */
async function runChild(file: string, quick: boolean, out: string): Promise<void> {
  const suite = (await import(pathToFileURL(file).href)).default as SuiteDefinition;
  const result = await runSuite(suite, { quick });
  await writeFile(out, JSON.stringify(result));
}

async function runInChild(file: string, quick: boolean): Promise<SuiteResult> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-bench-"));
  try {
    const out = join(dir, "result.json");
    const args = ["--import", "tsx", fileURLToPath(import.meta.url), "--child", file, "--out", out];
    if (quick) args.push("--quick");
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: "inherit" });
      child.on("error", reject);
      child.on("exit", resolve);
    });
    if (code !== 0) throw new Error(`suite ${file} exited with code ${code}`);
    return JSON.parse(await readFile(out, "utf8")) as SuiteResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readCommitted(): Promise<CommittedRatios> {
  const text = await readFile(baselinePath, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return '{"quick":{},"full":{}}';
    throw error;
  });
  const parsed = JSON.parse(text) as Partial<CommittedRatios>;
  return { quick: parsed.quick ?? {}, full: parsed.full ?? {} };
}

function describeChecks(checks: readonly RatioCheck[]): string {
  return checks
    .map((c) => {
      const was = c.committed === undefined ? "no committed ratio yet" : `committed ${c.committed.toFixed(3)}x`;
      return `    ${c.regressed ? "REGRESSED" : "ok       "} ${c.key}: ${c.ratio.toFixed(3)}x (${was})`;
    })
    .join("\n");
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (options.child) {
    await runChild(options.child, options.quick, options.out!);
    return 0;
  }
  const suites = await findSuites(options.filters);
  if (suites.length === 0) {
    console.error(`no bench suites found${options.filters.length ? ` for ${options.filters.join(", ")}` : ""}`);
    return 1;
  }
  const committed = await readCommitted();
  const results: SuiteResult[] = [];
  const verdicts: { suite: string; ok: boolean; detail: string }[] = [];
  for (const { name, file } of suites) {
    const attempts: RatioCheck[][] = [];
    let result: SuiteResult | undefined;
    let failure: string | undefined;
    for (let attempt = 1; attempt <= (options.check || options.update ? 3 : 1); attempt++) {
      try {
        result = await runInChild(file, options.quick);
      } catch (error) {
        failure = String(error);
        break;
      }
      console.log(formatSuite(result));
      results.push(result);
      attempts.push(checkRatios(result, committed));
      if (options.update) continue;
      if (!bestOf(attempts).some((c) => c.regressed)) break;
      if (options.check && attempt < 3) console.log(`  ${name}: a ratio regressed; measuring again (attempt ${attempt + 1} of 3)`);
    }
    const checks = bestOf(attempts);
    const ok = failure === undefined && (!options.check || !checks.some((c) => c.regressed));
    verdicts.push({ suite: name, ok, detail: failure ?? describeChecks(checks) });
  }
  const jsonPath = options.json ?? join(benchDir, "results", options.quick ? "latest-quick.json" : "latest.json");
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, JSON.stringify({ at: new Date().toISOString(), results, verdicts }, null, 2) + "\n");
  if (options.update) {
    await writeFile(baselinePath, JSON.stringify(withRatios(committed, results), null, 2) + "\n");
    console.log(`updated ${baselinePath}`);
  }
  console.log(`\nbench ${options.check ? "regression check" : "summary"} (${options.quick ? "quick" : "full"} mode), results in ${jsonPath}`);
  for (const verdict of verdicts) console.log(`  ${verdict.ok ? "pass" : "FAIL"} ${verdict.suite}\n${verdict.detail}`);
  return verdicts.every((v) => v.ok) ? 0 : 1;
}

process.exitCode = await main();
