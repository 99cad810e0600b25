// The monorepo's structural contract (ARCHITECTURE.md, STYLE.md), checked on every run: each module's face and
// manifests, the dependency direction, and that no module reaches into another's internals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { publishedModules, repoRoot } from "./workspace.ts";

const modules = await publishedModules();

/** Deckhand modules each module may depend on: the dependency direction of ARCHITECTURE.md. */
const allowed: Record<string, readonly string[]> = {
  "@deckhand/pipeline": [],
  "@deckhand/serialize": ["@deckhand/pipeline"],
  "@deckhand/storage": ["@deckhand/pipeline", "@deckhand/serialize"],
  "@deckhand/capture": ["@deckhand/pipeline", "@deckhand/serialize"],
  "@deckhand/migrate": ["@deckhand/pipeline", "@deckhand/serialize", "@deckhand/storage"],
  "@deckhand/sync": ["@deckhand/pipeline", "@deckhand/serialize"],
};

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (["node_modules", "dist", "drizzle"].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

/** The specifiers a source file imports, comments (and so doc examples) left out. */
function imports(withComments: string): string[] {
  const source = withComments.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...source.matchAll(/(?:^|\s)(?:import|export)[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm)].map(
    (m) => (m[1] ?? m[2])!,
  );
}

test("the workspace has published modules to check", () => {
  assert.ok(modules.length >= 1);
});

for (const module of modules) {
  const short = basename(module.dir);

  test(`${module.name}: manifests agree and the face is mod.ts`, async () => {
    const pkg = module.manifest as unknown as Record<string, unknown>;
    assert.equal(module.name, `@deckhand/${short}`);
    assert.equal(pkg.type, "module");
    assert.deepEqual(pkg.exports, { ".": "./mod.ts" });
    const publish = pkg.publishConfig as { access?: string; exports?: Record<string, { types: string; default: string }> };
    assert.equal(publish.access, "public");
    assert.deepEqual(publish.exports, { ".": { types: "./dist/mod.d.ts", default: "./dist/mod.js" } });
    const deno = JSON.parse(await readFile(join(module.dir, "deno.json"), "utf8")) as Record<string, unknown>;
    assert.equal(deno.name, module.name);
    assert.equal(deno.version, module.manifest.version);
    assert.equal(deno.exports, "./mod.ts");
    for (const file of ["mod.ts", "README.md", "tsconfig.json", "tsconfig.build.json"]) {
      assert.ok(existsSync(join(module.dir, file)), `${short}/${file} exists`);
    }
    const root = JSON.parse(await readFile(join(repoRoot, "deno.json"), "utf8")) as { workspace: string[] };
    assert.ok(root.workspace.includes(`./modules/${short}`), "listed in the root deno.json workspace");
  });

  test(`${module.name}: depends only on the modules the architecture allows`, () => {
    const deps = Object.keys(module.manifest.dependencies ?? {}).filter((d) => d.startsWith("@deckhand/"));
    const permitted = allowed[module.name];
    assert.ok(permitted, `${module.name} has a place in the dependency direction`);
    for (const dep of deps) assert.ok(permitted.includes(dep), `${module.name} may not depend on ${dep}`);
  });

  test(`${module.name}: imports stay inside the module and use only declared packages through their faces`, async () => {
    const declared = new Set([
      ...Object.keys(module.manifest.dependencies ?? {}),
      ...Object.keys(module.manifest.devDependencies ?? {}),
    ]);
    for (const file of await sourceFiles(module.dir)) {
      const name = relative(module.dir, file);
      assert.doesNotMatch(basename(file), /^(utils|helpers|common)\.ts$/, `${short}/${name}: no grab-bag files`);
      for (const specifier of imports(await readFile(file, "utf8"))) {
        if (specifier.startsWith(".")) {
          const target = resolve(dirname(file), specifier);
          assert.ok(!relative(module.dir, target).startsWith(".."), `${short}/${name} imports ${specifier}, outside its module`);
          assert.match(specifier, /\.ts$/, `${short}/${name}: relative imports carry the .ts extension`);
        } else if (specifier.startsWith("@deckhand/")) {
          assert.ok(/^@deckhand\/[a-z-]+$/.test(specifier), `${short}/${name} reaches into ${specifier}`);
          assert.ok(declared.has(specifier), `${short}/${name} imports undeclared ${specifier}`);
        } else if (!specifier.startsWith("node:")) {
          const pkg = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
          assert.ok(declared.has(pkg), `${short}/${name} imports ${pkg}, which ${module.name} does not declare`);
        }
      }
    }
  });
}

/** Code that reads the team's `../shared` folder works only on this team's machines, never from a plain clone. */
const sharedReference = /\.\.\/(?:\.\.\/)*shared\/|["'`]\.\.\/shared["'`]/;

test("no code, script or manifest reads ../shared: a plain clone runs, tests and benches on its own", async () => {
  const offenders: string[] = [];
  async function scan(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (["node_modules", "dist", ".git", ".pack", ".tmp", "results", "fixtures"].includes(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await scan(path);
      else if (/\.(?:[cm]?[jt]sx?|json|sh|ya?ml)$|^run$/.test(entry.name) && path !== fileURLToPath(import.meta.url)) {
        const text = await readFile(path, "utf8");
        text.split("\n").forEach((line, i) => {
          if (sharedReference.test(line)) offenders.push(`${relative(repoRoot, path)}:${i + 1}: ${line.trim()}`);
        });
      }
    }
  }
  await scan(repoRoot);
  assert.deepEqual(offenders, [], "vendor what is needed into the repository (fixtures/) instead");
});

test("the shared-folder check recognises the paths it must refuse", () => {
  assert.ok(sharedReference.test(`new URL("../../../shared/fixtures/opentrons/", import.meta.url)`));
  assert.ok(sharedReference.test(`readFile("../shared/STYLE.md")`));
  assert.ok(!sharedReference.test(`new URL("../../fixtures/opentrons/", import.meta.url)`));
});
