import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { McapIndexedReader } from "@mcap/core";
import { createCaptureWriter } from "./capture_writer.ts";
import { recoverCaptureDir } from "./recover_capture_dir.ts";
import { verifyCaptureDir } from "./verify_capture_dir.ts";
import { UnrecoverableFileError } from "./errors.ts";
import { readIndexed, readStreaming } from "./mcap_read_test_support.ts";
import { withDir } from "./temp_dir_test_support.ts";

const PART = "counter_20260101T000000000Z_0000000001.mcap.part";
const CHUNK_OPCODE = 0x06;

interface Flushed {
  bytes: Uint8Array;
  /** [start, end) of each chunk record, and the message values it holds. */
  chunks: { start: number; end: number; values: number[] }[];
}

/** A .part of `chunks` chunks of `perChunk` messages each, as a crash leaves it, with its chunk layout. */
async function flushedPart(chunks: number, perChunk: number): Promise<Flushed> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-"));
  try {
    const writer = createCaptureWriter({ dir, flushIntervalMs: 3_600_000 });
    for (let i = 0; i < chunks * perChunk; i++) {
      await writer.write("counter", "read", { i });
      if ((i + 1) % perChunk === 0) await writer.flush();
    }
    const part = (await readdir(dir)).find((f) => f.endsWith(".part"))!;
    const bytes = new Uint8Array(await readFile(join(dir, part)));
    await writer.close();
    // The finished file has the same data section; its chunk indexes give the layout.
    const finished = new Uint8Array(await readFile(join(dir, part.replace(".part", ""))));
    const reader = await McapIndexedReader.Initialize({
      readable: { size: async () => BigInt(finished.byteLength), read: async (o, s) => finished.subarray(Number(o), Number(o + s)) },
    });
    const layout = reader.chunkIndexes.map((c, k) => ({
      start: Number(c.chunkStartOffset),
      end: Number(c.chunkStartOffset + c.chunkLength),
      values: Array.from({ length: perChunk }, (_, j) => k * perChunk + j),
    }));
    return { bytes, chunks: layout };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function recoveredValues(dir: string, output: string | undefined): Promise<number[]> {
  if (!output) return [];
  const indexed = (await readIndexed(join(dir, output))).messages.map((m) => (m.value as { i: number }).i);
  assert.deepEqual((await readStreaming(join(dir, output))).map((m) => (m.value as { i: number }).i), indexed);
  return indexed;
}

test("a flipped bit in a chunk's opcode byte loses only that chunk: recovery resynchronises, saves its bytes with a note, and reports it", async () => {
  const { bytes, chunks } = await flushedPart(4, 10);
  const damaged = Uint8Array.from(bytes);
  assert.equal(damaged[chunks[1]!.start], CHUNK_OPCODE);
  damaged[chunks[1]!.start]! ^= 0x01; // 0x06 -> 0x07, a message index opcode
  await withDir(async (dir) => {
    await writeFile(join(dir, PART), damaged);
    const [report] = await recoverCaptureDir(dir);
    assert.equal(report!.status, "recovered");
    assert.deepEqual(await recoveredValues(dir, report!.output), [...chunks[0]!.values, ...chunks[2]!.values, ...chunks[3]!.values]);
    // The damaged range is the second chunk and its message index, up to the third chunk.
    assert.deepEqual(report!.damaged.map((r) => [r.offset, r.offset + r.bytes]), [[chunks[1]!.start, chunks[2]!.start]]);
    assert.equal(report!.corruptBytes, chunks[2]!.start - chunks[1]!.start);
    const saved = new Uint8Array(await readFile(join(dir, report!.corruptFile!)));
    assert.deepEqual(saved, damaged.subarray(chunks[1]!.start, chunks[2]!.start));
    const note = JSON.parse(await readFile(join(dir, `${report!.corruptFile!}.json`), "utf8"));
    assert.equal(note.bytes, report!.corruptBytes);
    assert.match(note.reason, /opcode 0x7|message index/);
    assert.deepEqual(await readdir(dir), ["corrupt", PART.replace(".part", "")].sort());
  });
});

test("damage anywhere (random bytes, seeded) keeps every chunk it did not touch, in order, without duplicates, and saves every unused byte", async () => {
  const { bytes, chunks } = await flushedPart(8, 5);
  let seed = 42;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 40; round++) {
    const damaged = Uint8Array.from(bytes);
    const hits = 1 + random(3);
    const touched = new Set<number>();
    for (let h = 0; h < hits; h++) {
      const at = 8 + random(bytes.byteLength - 8); // past the magic
      damaged[at] = damaged[at]! ^ (1 << random(8));
      chunks.forEach((c, k) => at >= c.start && at < c.end && touched.add(k));
    }
    await withDir(async (dir) => {
      await writeFile(join(dir, PART), damaged);
      const [report] = await recoverCaptureDir(dir);
      const values = await recoveredValues(dir, report!.output);
      assert.equal(new Set(values).size, values.length, `round ${round}: no duplicates`);
      assert.deepEqual(values, [...values].sort((a, b) => a - b), `round ${round}: in order`);
      const intact = chunks.flatMap((c, k) => (touched.has(k) ? [] : c.values));
      const got = new Set(values);
      assert.deepEqual(intact.filter((v) => !got.has(v)), [], `round ${round}: every untouched chunk is kept`);
      assert.equal(report!.recoveredMessages, values.length);
      if (report!.corruptBytes > 0) {
        const saved = await readFile(join(dir, report!.corruptFile!));
        assert.equal(saved.byteLength, report!.corruptBytes);
      }
      assert.equal(report!.damaged.reduce((n, r) => n + r.bytes, 0), report!.corruptBytes);
    });
  }
});

test("a .part that cannot be read (a directory of that name, a read that fails) is reported and left; the others are recovered", async () => {
  const { bytes } = await flushedPart(2, 5);
  await withDir(async (dir) => {
    const names = ["a_20260101T000000000Z_0000000001.mcap.part", "b_20260101T000000000Z_0000000001.mcap.part", "c_20260101T000000000Z_0000000001.mcap.part"];
    await mkdir(join(dir, names[0]!)); // a directory with a capture file's name
    await writeFile(join(dir, names[1]!), bytes); // unreadable through the injected reader (root ignores chmod)
    await writeFile(join(dir, names[2]!), bytes);
    const reports = await recoverCaptureDir(dir, {
      readFile: async (path) => {
        if (path.endsWith(names[1]!)) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: "EACCES" });
        return new Uint8Array(await readFile(path));
      },
    });
    assert.deepEqual(reports.map((r) => [r.file, r.status]), [[names[0], "failed"], [names[1], "failed"], [names[2], "recovered"]]);
    for (const failed of reports.slice(0, 2)) {
      assert.ok(failed.error instanceof UnrecoverableFileError && failed.error.code === "CAPTURE_UNRECOVERABLE_FILE");
    }
    assert.match(reports[1]!.error!.message, /EACCES/);
    assert.equal(reports[2]!.recoveredMessages, 10);
    const left = await readdir(dir);
    assert.ok(left.includes(names[0]!) && left.includes(names[1]!), "unreadable files are left in place");
  });
});

test("verifyCaptureDir reports a damaged finished file (and moves it to corrupt/ on request) and passes intact ones", async () => {
  await withDir(async (dir) => {
    const writer = createCaptureWriter({ dir, maxFileBytes: 2048, chunkBytes: 512 });
    for (let i = 0; i < 120; i++) await writer.write("temp", "M105", { i, pad: "q".repeat(10) });
    await writer.close();
    const files = (await readdir(dir)).sort();
    assert.ok(files.length >= 3);
    const victim = files[1]!;
    const bytes = new Uint8Array(await readFile(join(dir, victim)));
    const at = new TextDecoder("latin1").decode(bytes).indexOf('"pad"');
    bytes[at + 2] = "X".charCodeAt(0); // inside a chunk: its CRC no longer matches
    await writeFile(join(dir, victim), bytes);
    const reports = await verifyCaptureDir(dir);
    assert.deepEqual(reports.map((r) => [r.file, r.ok]), files.map((f) => [f, f !== victim]));
    assert.match(reports[1]!.reason!, /crc/i);
    assert.ok(reports.filter((r) => r.ok).every((r) => r.messages > 0));
    const moved = await verifyCaptureDir(dir, { quarantine: true });
    assert.equal(moved[1]!.movedTo, join("corrupt", victim));
    assert.ok(!(await readdir(dir)).includes(victim));
    assert.deepEqual(new Uint8Array(await readFile(join(dir, "corrupt", victim))), bytes);
    assert.ok((await verifyCaptureDir(dir)).every((r) => r.ok));
  });
});
