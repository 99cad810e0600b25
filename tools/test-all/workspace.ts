/**
 * The workspace as the test command sees it: where the repo is, which folders are packages, and which
 * modules are published, in dependency order (a module comes after the modules it depends on).
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const repoRoot: string = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/** A package manifest, as much of it as the checks read. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** Every package folder of the workspace: `modules/*`, `apps/*`, `tools/*` and `bench`. */
export async function packageDirs(): Promise<string[]> {
  const dirs: string[] = [];
  for (const group of ["modules", "apps", "tools"]) {
    const base = join(repoRoot, group);
    if (!existsSync(base)) continue;
    for (const entry of (await readdir(base, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.isDirectory() && existsSync(join(base, entry.name, "package.json"))) dirs.push(join(base, entry.name));
    }
  }
  if (existsSync(join(repoRoot, "bench", "package.json"))) dirs.push(join(repoRoot, "bench"));
  return dirs;
}

/** Reads a package folder's manifest. */
export async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as Manifest;
}

/** The published modules (`modules/*`), each after the Deckhand modules it depends on. */
export async function publishedModules(): Promise<{ name: string; dir: string; manifest: Manifest }[]> {
  const base = join(repoRoot, "modules");
  const modules = new Map<string, { name: string; dir: string; manifest: Manifest }>();
  for (const entry of await readdir(base, { withFileTypes: true })) {
    if (!entry.isDirectory() || !existsSync(join(base, entry.name, "package.json"))) continue;
    const dir = join(base, entry.name);
    const manifest = await readManifest(dir);
    if (!manifest.private) modules.set(manifest.name, { name: manifest.name, dir, manifest });
  }
  const ordered: { name: string; dir: string; manifest: Manifest }[] = [];
  const visit = (name: string, path: string[]) => {
    if (ordered.some((m) => m.name === name)) return;
    if (path.includes(name)) throw new Error(`module dependency cycle: ${[...path, name].join(" -> ")}`);
    const module = modules.get(name)!;
    for (const dep of Object.keys(module.manifest.dependencies ?? {}).sort()) {
      if (modules.has(dep)) visit(dep, [...path, name]);
    }
    ordered.push(module);
  };
  for (const name of [...modules.keys()].sort()) visit(name, []);
  return ordered;
}
