/**
 * @deckhand/serialize on real Opentrons analysis documents (quick mode drops the largest). Each group is labelled
 * with the size of what it measures, the document's compact JSON text in UTF-8 bytes (the fixture files are
 * pretty-printed and larger on disk: 2.9 MB on disk is 1.59 MB compact):
 * - decode: validated `codec.decode` and `codec.trusted` against `JSON.parse` alone (goals 0.5x and 0.95x);
 * - encode: `codec.encode` (schema check, JSON-shape check, stringify) against `JSON.stringify`;
 * - contentHash: RFC 8785 canonical JSON + SHA-256 of the parsed document against SHA-256 of the raw text.
 * Throughput is in MB of stored (compact JSON) text per second.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { canonicalJson, contentHash, defineCodec } from "@deckhand/serialize";
import { type BenchGroup, defineSuite } from "../harness.ts";
import { analysisSchema } from "./analysis_schema.ts";

const fixtures = new URL("../../fixtures/opentrons/", import.meta.url);

const analysisCodec = defineCodec({ name: "protocol-analysis", version: 1, schema: analysisSchema });

/** A size label in decimal units: "74 KB", "1.59 MB". */
function sizeLabel(bytes: number): string {
  return bytes < 1e6 ? `${Math.round(bytes / 1e3)} KB` : `${(bytes / 1e6).toFixed(2)} MB`;
}

async function groupsFor(file: string): Promise<BenchGroup[]> {
  const document = JSON.parse(await readFile(new URL(file, fixtures), "utf8")) as unknown;
  const text = JSON.stringify(document);
  const bytes = Buffer.byteLength(text, "utf8");
  const mb = bytes / 1e6;
  const label = `${sizeLabel(bytes)} analysis`;
  const check = analysisCodec.decode(text, 1);
  if (!check.ok) throw new Error(`${file} does not decode: ${check.error.message}`);
  const value = check.value;
  const per = { unitsPerOp: mb, unit: "MB" } as const;
  return [
    {
      name: `decode ${label}`,
      baseline: { name: "JSON.parse", fn: () => JSON.parse(text), ...per },
      tasks: [
        { name: "codec.decode (validated)", fn: () => analysisCodec.decode(text, 1), ...per },
        { name: "codec.trusted", fn: () => analysisCodec.trusted(text), ...per },
      ],
      goals: { "codec.decode (validated)": { min: 0.5 }, "codec.trusted": { min: 0.95 } },
    },
    {
      name: `encode ${label}`,
      baseline: { name: "JSON.stringify", fn: () => JSON.stringify(value), ...per },
      tasks: [{ name: "codec.encode", fn: () => analysisCodec.encode(value), ...per }],
    },
    {
      name: `contentHash ${label}`,
      baseline: { name: "sha256 of the raw text", fn: () => createHash("sha256").update(text, "utf8").digest("hex"), ...per },
      tasks: [
        { name: "contentHash", fn: () => contentHash(value), ...per },
        { name: "canonicalJson alone", fn: () => canonicalJson(value), ...per },
      ],
    },
  ];
}

export default defineSuite({
  name: "serialize",
  groups: async ({ quick }) => {
    const documents = [
      "analysis-thermocycler-error.json",
      "analysis-sigdx-part2.json",
      ...(quick ? [] : ["analysis-normalize-long-right.json"]),
    ];
    const groups: BenchGroup[] = [];
    for (const file of documents) groups.push(...(await groupsFor(file)));
    return groups;
  },
});
