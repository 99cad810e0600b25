import { test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { parseConfig, usage } from "./config.ts";
import { InvalidSettingError } from "./errors.ts";

test("parseConfig: defaults, DECKHAND_<SETTING> environment variables, and flags winning over them", () => {
  const defaults = parseConfig([], {});
  assert.equal(defaults.dataRoot, resolve(".deckhand"));
  assert.deepEqual([defaults.host, defaults.port, defaults.token, defaults.captureRateHz], ["127.0.0.1", 31950, undefined, 10]);
  assert.deepEqual(defaults.collectors, ["temp-module"]);
  assert.deepEqual(defaults.syncTarget, { kind: "directory", path: resolve(".deckhand", "uploaded") });
  const env = { DECKHAND_DATA_ROOT: "/srv/d", DECKHAND_PORT: "8080", DECKHAND_TOKEN: "t", DECKHAND_CAPTURE_RATE_HZ: "2.5", DECKHAND_COLLECTORS: "a, b", DECKHAND_SERIAL_PORT: "/dev/ttyACM0" };
  const fromEnv = parseConfig([], env);
  assert.deepEqual([fromEnv.dataRoot, fromEnv.port, fromEnv.token, fromEnv.captureRateHz, fromEnv.serialPort], ["/srv/d", 8080, "t", 2.5, "/dev/ttyACM0"]);
  assert.deepEqual(fromEnv.collectors, ["a", "b"]);
  const flags = parseConfig(["--port", "0", "--data-root=/x", "--sync-target", "https://ingest.example/up", "--sync-token", "k"], env);
  assert.deepEqual([flags.port, flags.dataRoot], [0, "/x"]);
  assert.deepEqual(flags.syncTarget, { kind: "http", url: "https://ingest.example/up", token: "k" });
  const s3 = parseConfig(["--sync-target", "s3://bucket/robots/r1", "--s3-endpoint", "http://127.0.0.1:9000", "--s3-access-key-id", "a", "--s3-secret-access-key", "b"], {});
  assert.deepEqual(s3.syncTarget, { kind: "s3", endpoint: "http://127.0.0.1:9000", bucket: "bucket", region: "us-east-1", accessKeyId: "a", secretAccessKey: "b", prefix: "robots/r1" });
  assert.deepEqual(parseConfig(["--sync-target", "none"], {}).syncTarget, { kind: "none" });
  assert.match(usage(), /DECKHAND_DATA_ROOT/);
  assert.deepEqual([defaults.durability, defaults.requestTimeoutMs], ["power", 30_000], "acknowledged writes survive a power cut by default");
  assert.equal(parseConfig([], { DECKHAND_DURABILITY: "process" }).durability, "process");
  assert.equal(parseConfig(["--request-timeout-ms", "5000"], {}).requestTimeoutMs, 5000);
});

test("parseConfig refuses nonsense with InvalidSettingError", () => {
  for (const argv of [["--port", "70000"], ["--port", "x"], ["--capture-rate-hz", "0"], ["--nope", "1"], ["stray"], ["--port"], ["--collectors", "a,a"], ["--sync-target", "s3://b"], ["--durability", "sometimes"], ["--request-timeout-ms", "10"]]) {
    assert.throws(() => parseConfig(argv, {}), InvalidSettingError, argv.join(" "));
  }
});
