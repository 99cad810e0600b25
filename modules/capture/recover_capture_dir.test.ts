import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCaptureWriter } from "./capture_writer.ts";
import { recoverCaptureDir } from "./recover_capture_dir.ts";
import { readIndexed, readStreaming } from "./mcap_read_test_support.ts";
import { withDir } from "./temp_dir_test_support.ts";

const PART = "counter_20260101T000000000Z_0000000001.mcap.part";

/** Writes `count` messages with a flush every `perChunk`, and returns the .part bytes as a crash would leave them. */
async function flushedPart(count: number, perChunk: number): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-"));
  try {
    const writer = createCaptureWriter({ dir, flushIntervalMs: 3_600_000 });
    for (let i = 0; i < count; i++) {
      await writer.write("counter", "read", { i });
      if ((i + 1) % perChunk === 0) await writer.flush();
    }
    const part = (await readdir(dir)).find((f) => f.endsWith(".part"))!;
    const bytes = new Uint8Array(await readFile(join(dir, part)));
    await writer.close();
    return bytes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("a .part cut at any byte recovers exactly the messages of its complete chunks, and the tail goes to corrupt/", async () => {
  const bytes = await flushedPart(40, 10); // four chunks of ten messages
  const complete: number[] = [];
  for (let cut = 0; cut <= bytes.byteLength; cut += 7) {
    await withDir(async (dir) => {
      await writeFile(join(dir, PART), bytes.subarray(0, cut));
      const [report] = await recoverCaptureDir(dir);
      assert.equal(report!.file, PART);
      assert.equal(report!.recoveredMessages % 10, 0, `cut ${cut}: only whole chunks are recovered`);
      const files = await readdir(dir);
      assert.ok(!files.includes(PART), "the .part is gone once recovered");
      if (report!.recoveredMessages > 0) {
        const messages = (await readIndexed(join(dir, report!.output!))).messages.map((m) => m.value);
        assert.deepEqual(messages, Array.from({ length: report!.recoveredMessages }, (_, i) => ({ i })));
        assert.deepEqual((await readStreaming(join(dir, report!.output!))).map((m) => m.value), messages);
      } else {
        assert.equal(report!.output, undefined);
      }
      if (report!.corruptBytes > 0) {
        const saved = await readFile(join(dir, report!.corruptFile!));
        assert.equal(saved.byteLength, report!.corruptBytes);
        assert.deepEqual(new Uint8Array(saved), bytes.subarray(cut - report!.corruptBytes, cut));
        const reason = JSON.parse(await readFile(join(dir, `${report!.corruptFile!}.json`), "utf8"));
        assert.equal(reason.bytes, report!.corruptBytes);
        assert.equal(typeof reason.reason, "string");
      }
      complete.push(report!.recoveredMessages);
    });
  }
  assert.deepEqual([...new Set(complete)], [0, 10, 20, 30, 40], "every chunk boundary was crossed");
});

test("a chunk with a flipped bit fails its CRC: recovery keeps the chunks before and after it and saves the damaged one", async () => {
  const bytes = await flushedPart(30, 10);
  // Find the payload of the second chunk's last message ('{"i":19}') and corrupt one byte of it.
  const text = new TextDecoder("latin1").decode(bytes);
  const at = text.indexOf('{"i":19}');
  assert.ok(at > 0);
  const damaged = Uint8Array.from(bytes);
  damaged[at + 5] = "7".charCodeAt(0);
  await withDir(async (dir) => {
    await writeFile(join(dir, PART), damaged);
    const [report] = await recoverCaptureDir(dir);
    assert.equal(report!.recoveredMessages, 20);
    const values = (await readIndexed(join(dir, report!.output!))).messages.map((m) => (m.value as { i: number }).i);
    assert.deepEqual(values, [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => i + 20)]);
    assert.ok(report!.corruptBytes > 0);
    const reason = JSON.parse(await readFile(join(dir, `${report!.corruptFile!}.json`), "utf8"));
    assert.match(reason.reason, /crc/i);
  });
});

test("a file that is not MCAP at all is moved whole to corrupt/ with its reason, never deleted", async () => {
  await withDir(async (dir) => {
    const garbage = new TextEncoder().encode("this is not an mcap file at all");
    await writeFile(join(dir, PART), garbage);
    const [report] = await recoverCaptureDir(dir);
    assert.deepEqual(report, {
      file: PART,
      status: "empty",
      output: undefined,
      recoveredMessages: 0,
      corruptBytes: garbage.byteLength,
      corruptFile: join("corrupt", PART),
      damaged: [{ offset: 0, bytes: garbage.byteLength, reason: "the file does not start with the MCAP magic" }],
    });
    assert.deepEqual(new Uint8Array(await readFile(join(dir, "corrupt", PART))), garbage);
    assert.deepEqual((await readdir(dir)).sort(), ["corrupt"]);
  });
});

test("a complete file left as .part (crash between finish and rename) is recovered whole with nothing corrupt", async () => {
  const dir = await mkdtemp(join(tmpdir(), "deckhand-"));
  try {
    const writer = createCaptureWriter({ dir });
    for (let i = 0; i < 25; i++) await writer.write("counter", "read", { i });
    await writer.close();
    const [finished] = await readdir(dir);
    await writeFile(join(dir, PART), await readFile(join(dir, finished!)));
    await rm(join(dir, finished!));
    const [report] = await recoverCaptureDir(dir);
    assert.equal(report!.recoveredMessages, 25);
    assert.equal(report!.corruptBytes, 0);
    assert.deepEqual((await readdir(dir)).sort(), [PART.replace(".part", "")]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("recovery interrupted after writing its temp output is redone from the .part, and a rerun finds nothing", async () => {
  const bytes = await flushedPart(20, 10);
  await withDir(async (dir) => {
    await writeFile(join(dir, PART), bytes);
    await writeFile(join(dir, PART.replace(".mcap.part", ".mcap.recovering")), "half-written output of an interrupted recovery");
    const [report] = await recoverCaptureDir(dir);
    assert.equal(report!.recoveredMessages, 20);
    assert.deepEqual(await readdir(dir), [PART.replace(".part", "")]);
    assert.deepEqual(await recoverCaptureDir(dir), []);
  });
});

test("recovering a directory that does not exist reports nothing", async () => {
  assert.deepEqual(await recoverCaptureDir(join(tmpdir(), "deckhand-missing-dir-for-recovery")), []);
});
