// Test support: the contract every UploadTarget passes (directory, HTTP ingest, S3). Each target's test file calls
// `uploadTargetContract` with a factory giving a fresh, empty target.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { HashMismatchError, InvalidNameError, UploadConflictError, type UploadRequest, type UploadTarget } from "./mod.ts";

/** A fresh target and how to dispose of it. */
export interface TargetFixture {
  readonly target: UploadTarget;
  /** Resolves once the target has finished handling an upload the client abandoned (a server sees it later). */
  settled?(): Promise<void>;
  close(): Promise<void>;
}

/** An upload request for `bytes[offset..]`, claiming `claimed` (default: the true hash), in `chunk`-byte pieces. */
export function requestFor(
  key: string,
  bytes: Uint8Array,
  options: { offset?: number; claimed?: string; chunk?: number; failAfter?: number; signal?: AbortSignal } = {},
): UploadRequest {
  const offset = options.offset ?? 0;
  const chunk = options.chunk ?? 256 * 1024;
  const real = createHash("sha256").update(bytes).digest("hex");
  let resolve!: (hex: string) => void;
  const sha256 = new Promise<string>((r) => (resolve = r));
  async function* body(): AsyncGenerator<Uint8Array> {
    for (let at = offset; at < bytes.byteLength; at += chunk) {
      if (options.failAfter !== undefined && at - offset >= options.failAfter) throw new Error("injected read failure");
      yield bytes.subarray(at, Math.min(bytes.byteLength, at + chunk));
    }
    resolve(options.claimed ?? real);
  }
  return { key, size: bytes.byteLength, offset, body: body(), sha256, signal: options.signal ?? new AbortController().signal };
}

function hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Registers the contract tests for one kind of target. `largeBytes` is the size the resume test uses. */
export function uploadTargetContract(kind: string, make: () => Promise<TargetFixture>, largeBytes: number = 3 << 20, skip?: string, remembersSmall = true): void {
  const signal = new AbortController().signal;
  const withTarget = async (fn: (target: UploadTarget, fixture: TargetFixture) => Promise<void>) => {
    const fixture = await make();
    try {
      await fn(fixture.target, fixture);
    } finally {
      await fixture.close();
    }
  };
  const options = skip ? { skip } : {};

  test(`${kind}: a put is stored under its SHA-256, stat confirms hash and size, and the upload is remembered`, options, async () => {
    await withTarget(async (target) => {
      await target.probe(signal);
      const bytes = randomBytes(100_000);
      assert.equal(await target.resumeOffset("file-a", bytes.byteLength, signal), 0);
      const stored = await target.put(requestFor("file-a", bytes));
      assert.deepEqual(stored, { sha256: hex(bytes), size: bytes.byteLength });
      assert.deepEqual(await target.stat(hex(bytes), signal), stored);
      // A client that crashed before deleting its file asks again: the target remembers the upload (offset = size,
      // nothing is resent) or, for uploads it keeps no record of (S3 single-request uploads), starts over at 0.
      const again = await target.resumeOffset("file-a", bytes.byteLength, signal);
      assert.ok(again === bytes.byteLength || (again === 0 && remembersSmall === false), `offset ${again}`);
      assert.deepEqual(await target.put(requestFor("file-a", bytes, { offset: again })), stored);
    });
  });

  test(`${kind}: the same bytes under two keys are stored once, under one hash`, options, async () => {
    await withTarget(async (target) => {
      const bytes = randomBytes(5000);
      const first = await target.put(requestFor("copy-1", bytes));
      const second = await target.put(requestFor("copy-2", bytes));
      assert.deepEqual(first, second);
      assert.deepEqual(await target.stat(first.sha256, signal), first);
    });
  });

  test(`${kind}: a wrong announced hash is refused and nothing is stored under either hash`, options, async () => {
    await withTarget(async (target) => {
      const bytes = randomBytes(7000);
      const claimed = hex(randomBytes(8));
      await assert.rejects(target.put(requestFor("liar", bytes, { claimed })), HashMismatchError);
      assert.equal(await target.stat(claimed, signal), undefined);
      assert.equal(await target.stat(hex(bytes), signal), undefined);
      assert.equal(await target.resumeOffset("liar", bytes.byteLength, signal), 0);
    });
  });

  test(`${kind}: an interrupted upload resumes from what the target holds and ends with the right object`, options, async () => {
    await withTarget(async (target, fixture) => {
      const bytes = randomBytes(largeBytes);
      const cut = Math.floor(largeBytes * 0.7);
      const settled = fixture.settled?.();
      await assert.rejects(target.put(requestFor("big", bytes, { failAfter: cut })));
      await settled;
      // The target may still be finishing the interrupted request: it answers UploadConflictError until then.
      let offset: number;
      for (;;) {
        try {
          offset = await target.resumeOffset("big", bytes.byteLength, signal);
          break;
        } catch (error) {
          if (!(error instanceof UploadConflictError)) throw error;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      assert.ok(offset > 0 && offset < bytes.byteLength, `resume offset ${offset} within (0, ${bytes.byteLength})`);
      const stored = await target.put(requestFor("big", bytes, { offset }));
      assert.deepEqual(stored, { sha256: hex(bytes), size: bytes.byteLength });
      assert.deepEqual(await target.stat(hex(bytes), signal), stored);
    });
  });

  test(`${kind}: hostile keys and hashes are refused with SYNC_INVALID_NAME`, options, async () => {
    await withTarget(async (target) => {
      for (const key of ["../escape", "a/b", "", "x".repeat(129), "nul\0", "dot.dot", "\ud800"]) {
        await assert.rejects(target.resumeOffset(key, 10, signal), InvalidNameError, JSON.stringify(key));
        await assert.rejects(target.put(requestFor(key, randomBytes(10))), InvalidNameError, JSON.stringify(key));
      }
      for (const sha of ["../../etc/passwd", "ABC", "0".repeat(63), `${"0".repeat(63)}g`]) {
        await assert.rejects(target.stat(sha, signal), InvalidNameError, sha);
      }
      assert.equal(await target.stat("0".repeat(64), signal), undefined);
    });
  });
}
