/**
 * The main job until the robot app lands: streams the real Opentrons documents of `fixtures/opentrons/` (vendored in this repository)
 * through a pipeline (read, parse, content-hash, batch) with throttled progress, then mirrors them into a
 * content-addressed directory with `syncContentSet`, twice, to show that the second pass changes nothing.
 *
 *   node --import tsx tools/pipeline-demo/pipeline_demo.ts [fixtures-dir] [store-dir]
 */
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { batch, map, named, run, syncContentSet, tap, type ContentTarget, type PipelineReport } from "@deckhand/pipeline";
import { contentHash } from "@deckhand/serialize";

interface Document {
  readonly file: string;
  readonly bytes: number;
  readonly hash: string;
  readonly text: string;
}

const fixtures = process.argv[2] ?? fileURLToPath(new URL("../../fixtures/opentrons/", import.meta.url));
const store = process.argv[3] ?? (await mkdtemp(join(tmpdir(), "deckhand-demo-")));
const ownStore = process.argv[3] === undefined;

/** A directory of documents named by their content hash: the demo's sync target. */
function directoryTarget(dir: string): ContentTarget<Document> {
  return {
    async has(keys) {
      const present = new Set(await readdir(dir));
      return keys.filter((key) => present.has(`${key}.json`));
    },
    async add(items) {
      for (const item of items) {
        const temp = join(dir, `.${item.hash}.tmp`);
        await writeFile(temp, item.text);
        await rename(temp, join(dir, `${item.hash}.json`));
      }
    },
    async *keys() {
      for (const file of await readdir(dir)) if (file.endsWith(".json")) yield file.slice(0, -".json".length);
    },
    async remove(keys) {
      for (const key of keys) await rm(join(dir, `${key}.json`), { force: true });
    },
  };
}

function showProgress(report: PipelineReport): void {
  const stages = report.stages.map((s) => `${s.name} ${s.out}/${s.in}${s.inFlight ? ` (+${s.inFlight})` : ""}`).join("  ");
  console.log(`${report.final ? "done    " : "progress"} ${stages}  [${report.elapsedMs.toFixed(0)} ms]`);
}

const files = (await readdir(fixtures)).filter((f) => f.endsWith(".json")).sort();
console.log(`Deckhand pipeline demo: ${files.length} Opentrons documents from ${fixtures}`);

const documents: Document[] = [];
const report = await run(files, [
  named("read", map((file: string) => readFile(join(fixtures, file), "utf8").then((text) => ({ file, text })), { concurrency: 4 })),
  named("hash", map(({ file, text }: { file: string; text: string }): Document => ({
    file,
    text,
    bytes: Buffer.byteLength(text),
    hash: contentHash(JSON.parse(text)),
  }))),
  batch({ size: 4, maxWaitMs: 100 }),
  named("collect", tap((group: Document[]) => {
    documents.push(...group);
    for (const doc of group) console.log(`  ${doc.hash.slice(0, 16)}  ${(doc.bytes / 1024).toFixed(0).padStart(6)} KiB  ${doc.file}`);
  })),
], { onProgress: showProgress, progressIntervalMs: 100 });
console.log(`${report.sourceItems} documents read and hashed in ${report.elapsedMs.toFixed(0)} ms`);

await mkdir(store, { recursive: true });
const target = directoryTarget(store);
for (const pass of [1, 2]) {
  const result = await syncContentSet({ desired: documents, key: (d) => d.hash, target, mode: "mirror", batchSize: 5 });
  console.log(`mirror pass ${pass} into ${store}: added ${result.added}, removed ${result.removed}, unchanged ${result.unchanged}`);
}
if (ownStore) await rm(store, { recursive: true, force: true });
