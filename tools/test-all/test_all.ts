/**
 * The one test command (`npm test`, and `.ci/run`): for every package the type check, every `*.test.ts` under
 * Node (tsx loader), every module's tests under Deno 2, the quick benchmark regression check, and what we publish
 * (`deno publish --dry-run` and `pnpm pack` of every published module). Each step streams its output; the last
 * line is one summary over everything: `N passed, N failed, N skipped`.
 *
 *   node --import tsx tools/test-all/test_all.ts [--skip-bench] [--only typecheck,node,deno,bench,publish]
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { denoTally, nodeTally, sumTallies, type Tally } from "./tally.ts";
import { packageDirs, publishedModules, repoRoot } from "./workspace.ts";

interface StepResult extends Tally {
  readonly step: string;
  readonly seconds: number;
}

const results: StepResult[] = [];
const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);
const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };

/** Runs a command, streaming its output with a prefix-free tee, and returns its exit code and output. */
function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs: number; env?: Record<string, string> },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd ?? repoRoot, env: { ...env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString("utf8");
      stream.write(chunk);
    };
    child.stdout.on("data", collect(process.stdout));
    child.stderr.on("data", collect(process.stderr));
    const timer = setTimeout(() => {
      output += `\n[test-all] ${command} ${args.join(" ")} timed out after ${options.timeoutMs / 1000}s; killed\n`;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: -1, output: output + String(error) });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function step(name: string, body: () => Promise<Tally>): Promise<void> {
  console.log(`\n=== ${name}`);
  const started = Date.now();
  let tally: Tally;
  try {
    tally = await body();
  } catch (error) {
    console.error(`[test-all] step "${name}" crashed:`, error);
    tally = { passed: 0, failed: 1, skipped: 0 };
  }
  const seconds = (Date.now() - started) / 1000;
  results.push({ step: name, seconds, ...tally });
  console.log(`=== ${name}: ${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped (${seconds.toFixed(1)}s)`);
}

async function findTests(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await findTests(path)));
    else if (entry.name.endsWith(".test.ts")) found.push(path);
  }
  return found.sort();
}

/** The pty serial test needs socat: install it from Debian when we can (root with apt-get), else it skips. */
function ensureSocat(): void {
  if (spawnSync("sh", ["-c", "command -v socat"]).status === 0) return;
  const root = process.getuid?.() === 0;
  if (!root || spawnSync("sh", ["-c", "command -v apt-get"]).status !== 0) {
    console.log("[test-all] socat is not installed and cannot be installed here; the real pseudo-terminal serial test will skip");
    return;
  }
  console.log("[test-all] installing socat from Debian for the pseudo-terminal serial test");
  const installed = spawnSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq socat"], {
    stdio: "inherit",
    timeout: 240_000,
  });
  if (installed.status !== 0) console.log("[test-all] socat could not be installed; the pseudo-terminal serial test will skip");
}

/** The status page's browser test drives Debian's chromium: install it as root when missing, else that test skips. */
function ensureChromium(): void {
  if (existsSync("/usr/bin/chromium")) return;
  const root = process.getuid?.() === 0;
  if (!root || spawnSync("sh", ["-c", "command -v apt-get"]).status !== 0) {
    console.log("[test-all] chromium is not installed and cannot be installed here; the status page's browser test will skip");
    return;
  }
  console.log("[test-all] installing chromium from Debian for the status page's browser test");
  const installed = spawnSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium"], {
    stdio: "inherit",
    timeout: 600_000,
  });
  if (installed.status !== 0) console.log("[test-all] chromium could not be installed; the status page's browser test will skip");
}

async function typecheck(): Promise<Tally> {
  const tally = { passed: 0, failed: 0, skipped: 0 };
  for (const dir of await packageDirs()) {
    if (!existsSync(join(dir, "tsconfig.json"))) continue;
    console.log(`--- tsc -p ${relative(repoRoot, dir)}`);
    const { code } = await run(bin("tsc"), ["-p", join(dir, "tsconfig.json")], { timeoutMs: 300_000 });
    if (code === 0) tally.passed++;
    else tally.failed++;
  }
  return tally;
}

/** How many test files of one package `node --test` runs at once. */
const TEST_FILE_CONCURRENCY = 2;

async function nodeTests(): Promise<Tally> {
  const tallies: Tally[] = [];
  for (const dir of await packageDirs()) {
    const files = await findTests(dir);
    if (files.length === 0) continue;
    console.log(`--- node --test ${relative(repoRoot, dir)} (${files.length} files)`);
    // Two test files at a time (Node's default is one per core beyond the first: one, on a 2-core machine): most
    // files spend their time waiting on child processes, servers and fsync, not on the CPU.
    const { code, output } = await run(process.execPath, ["--import", "tsx", "--test", `--test-concurrency=${TEST_FILE_CONCURRENCY}`, "--test-reporter=spec", ...files], {
      timeoutMs: 600_000,
    });
    tallies.push(nodeTally(output, code));
  }
  return sumTallies(tallies);
}

async function denoTests(): Promise<Tally> {
  const workspace = JSON.parse(await readFile(join(repoRoot, "deno.json"), "utf8")) as { workspace: string[] };
  const tallies: Tally[] = [];
  for (const member of workspace.workspace) {
    const dir = join(repoRoot, member);
    if ((await findTests(dir)).length === 0) continue;
    console.log(`--- deno test ${member}`);
    // As under Node: test files run two at a time (`--parallel`, one per core).
    const { code, output } = await run(bin("deno"), ["test", "-A", "--no-check", "--parallel", member], {
      timeoutMs: 600_000,
      env: { DENO_JOBS: String(TEST_FILE_CONCURRENCY) },
    });
    tallies.push(denoTally(output, code));
  }
  return sumTallies(tallies);
}

async function benchCheck(): Promise<Tally> {
  const jsonPath = join(await mkdtemp(join(tmpdir(), "deckhand-bench-")), "results.json");
  try {
    await run(process.execPath, ["--import", "tsx", join(repoRoot, "bench", "run.ts"), "--quick", "--check", "--json", jsonPath], { timeoutMs: 1_200_000 });
    const report = JSON.parse(await readFile(jsonPath, "utf8")) as { verdicts: { ok: boolean }[] };
    const passed = report.verdicts.filter((v) => v.ok).length;
    return { passed, failed: report.verdicts.length - passed, skipped: 0 };
  } finally {
    await rm(join(jsonPath, ".."), { recursive: true, force: true });
  }
}

async function publishChecks(): Promise<Tally> {
  const tally = { passed: 0, failed: 0, skipped: 0 };
  console.log("--- deno publish --dry-run");
  const dry = await run(bin("deno"), ["publish", "--dry-run", "--allow-dirty"], { timeoutMs: 300_000 });
  if (dry.code === 0) tally.passed++;
  else tally.failed++;
  const packDir = await mkdtemp(join(tmpdir(), "deckhand-pack-"));
  const rootManifest = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { packageManager: string };
  const modules = await publishedModules();
  try {
    for (const module of modules) {
      console.log(`--- pnpm pack ${module.name}`);
      const before = new Set(await readdir(packDir));
      const packed = await run("npx", ["--yes", rootManifest.packageManager, "pack", "--pack-destination", packDir], { cwd: module.dir, timeoutMs: 300_000 });
      const tarball = (await readdir(packDir)).find((f) => !before.has(f));
      const problems = packed.code !== 0 || !tarball ? ["pnpm pack failed"] : verifyTarball(join(packDir, tarball));
      for (const problem of problems) console.log(`[test-all] ${module.name}: ${problem}`);
      if (problems.length === 0) tally.passed++;
      else tally.failed++;
    }
  } finally {
    await rm(packDir, { recursive: true, force: true });
    for (const module of modules) await rm(join(module.dir, "dist"), { recursive: true, force: true });
  }
  return tally;
}

/** What a published tarball must satisfy: exports point at files it holds, no workspace: ranges, no tests. */
function verifyTarball(tarball: string): string[] {
  const listing = spawnSync("tar", ["-tzf", tarball], { encoding: "utf8" });
  const manifest = spawnSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" });
  if (listing.status !== 0 || manifest.status !== 0) return [`cannot read ${tarball}`];
  const files = new Set(listing.stdout.split("\n").filter(Boolean).map((f) => f.replace(/^package\//, "")));
  const pkg = JSON.parse(manifest.stdout) as { exports?: unknown; dependencies?: Record<string, string> };
  const problems: string[] = [];
  const targets: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === "string") targets.push(value.replace(/^\.\//, ""));
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(pkg.exports);
  if (targets.length === 0) problems.push("the packed package.json has no exports");
  for (const target of targets) {
    if (!files.has(target)) problems.push(`exports names ${target}, which is not in the tarball`);
    if (target.endsWith(".ts") && !target.endsWith(".d.ts")) problems.push(`exports names TypeScript source ${target}`);
  }
  for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
    if (range.startsWith("workspace:")) problems.push(`dependency ${name} keeps the range ${range}`);
  }
  for (const file of files) if (/\.test\.(js|ts|d\.ts)$/.test(file) || file.includes("_test_")) problems.push(`test file ${file} is published`);
  return problems;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const only = args.includes("--only") ? args[args.indexOf("--only") + 1]!.split(",") : undefined;
  const wanted = (name: string) => (!only || only.includes(name)) && !(name === "bench" && args.includes("--skip-bench"));
  const started = Date.now();
  if (wanted("node")) ensureSocat();
  if (wanted("node")) ensureChromium();
  if (wanted("typecheck")) await step("type check (tsc, every package)", typecheck);
  if (wanted("node")) await step("tests under Node (node --test, tsx)", nodeTests);
  if (wanted("deno")) await step("module tests under Deno", denoTests);
  if (wanted("bench")) await step("benchmarks, quick mode, ratio regression check", benchCheck);
  if (wanted("publish")) await step("publish checks (deno publish --dry-run, pnpm pack)", publishChecks);
  const total = sumTallies(results);
  console.log(`\n=== summary (${((Date.now() - started) / 1000).toFixed(0)}s)`);
  for (const r of results) {
    console.log(`  ${r.failed ? "FAIL" : "ok  "} ${r.step}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${r.seconds.toFixed(1)}s)`);
  }
  console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  return total.failed === 0 && total.passed > 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = await main();
