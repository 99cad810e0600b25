/**
 * @deckhand/serialize on real Opentrons analysis documents (73 KB, 1.1 MB, 2.9 MB; quick mode drops the largest):
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

async function groupsFor(file: string, label: string): Promise<BenchGroup[]> {
  const document = JSON.parse(await readFile(new URL(file, fixtures), "utf8")) as unknown;
  const text = JSON.stringify(document);
  const mb = Buffer.byteLength(text, "utf8") / 1e6;
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
    const documents: [string, string][] = [
      ["analysis-thermocycler-error.json", "74 KB analysis"],
      ["analysis-sigdx-part2.json", "1.1 MB analysis"],
      ...(quick ? [] : ([["analysis-normalize-long-right.json", "2.9 MB analysis"]] as [string, string][])),
    ];
    const groups: BenchGroup[] = [];
    for (const [file, label] of documents) groups.push(...(await groupsFor(file, label)));
    return groups;
  },
});
