/**
 * Writes a v1 data root (the legacy layout of `v1_format.ts`) of any size, deterministic from a seed, with a
 * chosen share of bad rows of every kind the field has produced: truncated blobs, wrong types, a run from a
 * future format version, a command list that is not a list, and a run interrupted mid-write (no summary).
 * Commands are copies of the sample commands given (the CLI passes real Opentrons analysis commands), each
 * with a fresh id and times. For tests, benchmarks and the `deckhand v1-fixture` command.
 *
 * @module
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { COMPLETE_MARKER, exists, writeFileSynced } from "./data_root.ts";
import { InvalidOptionsError } from "./errors.ts";
import { encodeV1Run, V1_DATABASE, V1_FORMAT_VERSION, V1_SCHEMA_SQL, type V1RunDocument } from "./v1_format.ts";

/** The kinds of bad rows the generator writes. */
export type V1CorruptKind = "truncated" | "wrong-type" | "future-version" | "commands-not-list" | "interrupted";

/** Every kind of bad row, in the order the generator cycles through them. */
export const V1_CORRUPT_KINDS: readonly V1CorruptKind[] = [
  "truncated",
  "wrong-type",
  "future-version",
  "commands-not-list",
  "interrupted",
];

/** Options of `writeV1Fixture`. */
export interface V1FixtureOptions {
  /** The data root; `<root>/v1` must not exist yet. */
  readonly root: string;
  readonly runs: number;
  readonly commandsPerRun: number;
  /** Share of bad rows, 0..1. Default 0. Bad rows cycle through `V1_CORRUPT_KINDS`. */
  readonly corrupt?: number;
  /** Default 1. The same seed and options write the same rows. */
  readonly seed?: number;
  /** Commands to copy (e.g. from Opentrons analyses); each needs a `commandType`. */
  readonly sampleCommands: readonly Readonly<Record<string, unknown>>[];
  /**
   * Also write migrate's completion marker into `v1/`. Default false: field robots' v1 directories were written
   * by legacy software and have none (the robot migrations recognise them by their database).
   */
  readonly marker?: boolean;
}

/** What `writeV1Fixture` wrote. */
export interface V1FixtureReport {
  readonly dir: string;
  readonly runs: number;
  readonly commands: number;
  /** The ids of bad rows per kind. */
  readonly corrupt: Readonly<Record<V1CorruptKind, readonly string[]>>;
}

/**
 * Writes `<root>/v1/robot.db` as legacy software did: without migrate's completion marker (unless `marker`).
 *
 * @example
 * ```ts
 * await writeV1Fixture({ root: "/tmp/robot", runs: 20, commandsPerRun: 10_000, corrupt: 0.01, seed: 7, sampleCommands });
 * ```
 */
export async function writeV1Fixture(options: V1FixtureOptions): Promise<V1FixtureReport> {
  const { root, runs, commandsPerRun, corrupt = 0, seed = 1, sampleCommands } = options;
  if (!Number.isInteger(runs) || runs < 0 || !Number.isInteger(commandsPerRun) || commandsPerRun < 0) {
    throw new InvalidOptionsError("runs and commandsPerRun must be non-negative integers");
  }
  if (!(corrupt >= 0 && corrupt <= 1)) throw new InvalidOptionsError(`corrupt must be a share between 0 and 1, got ${corrupt}`);
  if (sampleCommands.length === 0 || sampleCommands.some((c) => typeof c.commandType !== "string")) {
    throw new InvalidOptionsError("sampleCommands must be a non-empty list of commands with a commandType");
  }
  const dir = join(root, "v1");
  if (await exists(dir)) throw new InvalidOptionsError(`${dir} already exists; the generator writes a new v1 root`);
  await mkdir(dir, { recursive: true });
  const random = xorshift(seed);
  const report: Record<V1CorruptKind, string[]> = {
    truncated: [],
    "wrong-type": [],
    "future-version": [],
    "commands-not-list": [],
    interrupted: [],
  };
  const client = createClient({ url: `file:${join(dir, V1_DATABASE)}` });
  try {
    await client.execute(V1_SCHEMA_SQL);
    const start = Date.UTC(2024, 0, 1) + Math.floor(random() * 1e9);
    let corrupted = 0;
    for (let first = 0; first < runs; first += 20) {
      const rows = [];
      for (let r = first; r < Math.min(runs, first + 20); r++) {
        const id = `run-${seed}-${String(r).padStart(6, "0")}`;
        const createdMs = start + r * 3_600_000;
        const document = runDocument(id, createdMs, commandsPerRun, sampleCommands, random);
        let blob = encodeV1Run(document);
        if (random() < corrupt) {
          const kind = V1_CORRUPT_KINDS[corrupted++ % V1_CORRUPT_KINDS.length]!;
          report[kind].push(id);
          blob = corruptBlob(kind, document, blob, random);
        }
        rows.push({ sql: "INSERT INTO run (id, created_at, blob) VALUES (?, ?, ?)", args: [id, new Date(createdMs).toISOString(), blob] });
      }
      await client.batch(rows, "write");
    }
  } finally {
    client.close();
  }
  if (options.marker === true) {
    await writeFileSynced(
      join(dir, COMPLETE_MARKER),
      `${JSON.stringify({ version: 1, migratedFrom: null, completedAt: new Date(0).toISOString(), migrated: 0, quarantined: 0 })}\n`,
    );
  }
  return { dir, runs, commands: runs * commandsPerRun, corrupt: report };
}

function runDocument(
  id: string,
  createdMs: number,
  count: number,
  samples: readonly Readonly<Record<string, unknown>>[],
  random: () => number,
): V1RunDocument {
  const startedMs = createdMs + 5_000;
  const commands = [];
  let t = startedMs;
  for (let i = 0; i < count; i++) {
    const sample = samples[Math.floor(random() * samples.length)]!;
    const took = 50 + Math.floor(random() * 2000);
    commands.push({
      ...sample,
      id: `${id}-c${i}`,
      key: `${id}-k${i}`,
      createdAt: new Date(t).toISOString(),
      startedAt: new Date(t).toISOString(),
      completedAt: new Date(t + took).toISOString(),
      status: "succeeded",
    });
    t += took;
  }
  return {
    formatVersion: V1_FORMAT_VERSION,
    id,
    createdAt: new Date(createdMs).toISOString(),
    protocolId: random() < 0.5 ? null : `protocol-${Math.floor(random() * 5)}`,
    actions: [{ id: `${id}-play`, actionType: "play", createdAt: new Date(startedMs).toISOString() }],
    commands,
    summary: { status: "succeeded", errors: [], startedAt: new Date(startedMs).toISOString(), completedAt: new Date(t).toISOString() },
  };
}

function corruptBlob(kind: V1CorruptKind, document: V1RunDocument, blob: Uint8Array, random: () => number): Uint8Array {
  switch (kind) {
    case "truncated":
      return blob.slice(0, Math.max(1, Math.floor(blob.byteLength * (0.1 + 0.8 * random()))));
    case "wrong-type":
      return encodeV1Run({ ...document, createdAt: 1_700_000_000, actions: "play" });
    case "future-version":
      return encodeV1Run({ ...document, formatVersion: V1_FORMAT_VERSION + 1, labwareOffsets: [] });
    case "commands-not-list":
      return encodeV1Run({ ...document, commands: Object.fromEntries(document.commands.map((c, i) => [String(i), c])) });
    case "interrupted": {
      const { summary: _summary, ...rest } = document;
      return encodeV1Run(rest);
    }
  }
}

/** xorshift32: small, fast and reproducible from the seed. */
function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}
