import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { assertSha256, assertUploadKey, directoryTarget, InvalidNameError } from "./mod.ts";
import { requestFor } from "./upload_target_contract_test_support.ts";

test("upload keys: any string is either a safe key or refused with InvalidNameError", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 200 }), (key) => {
      try {
        assertUploadKey(key);
      } catch (error) {
        assert.ok(error instanceof InvalidNameError && error.code === "SYNC_INVALID_NAME");
        return;
      }
      assert.match(key, /^[A-Za-z0-9_-]{1,128}$/);
    }),
    { numRuns: 500 },
  );
});

test("hashes: only 64 lowercase hex digits pass", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 70 }), (text) => {
      const ok = /^[0-9a-f]{64}$/.test(text);
      if (ok) assertSha256(text);
      else assert.throws(() => assertSha256(text), InvalidNameError);
    }),
  );
});

test("a directory target never writes outside its root, whatever the key", async () => {
  const root = await mkdtemp(join(tmpdir(), "deckhand-sync-keys-"));
  try {
    const store = join(root, "store");
    const target = directoryTarget(store);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: "binary", maxLength: 40 }), fc.constantFrom("../x", "..", "/etc/passwd", "a/../../b", "\u0000", "valid-key_1")),
        async (key) => {
          await target.put(requestFor(key, new TextEncoder().encode("x"))).catch((error: unknown) => {
            assert.ok(error instanceof InvalidNameError, String(error));
          });
        },
      ),
      { numRuns: 60 },
    );
    // Only the store itself may exist next to nothing else, and inside it only its two directories.
    for (const entry of await readdir(root)) assert.equal(entry, "store");
    for (const entry of await readdir(store).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw error;
    })) {
      assert.ok(entry === "objects" || entry === "uploads", entry);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
