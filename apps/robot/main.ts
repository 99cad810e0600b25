/**
 * The robot app's entry point: `node --import tsx apps/robot/main.ts [flags]` (`npm start -- [flags]`).
 * Prints where it listens, where data goes and the status page; SIGINT/SIGTERM shut down cleanly within the
 * shutdown timeout (then it exits anyway with status 1).
 *
 * @module
 */
import { parseConfig, usage } from "./config.ts";
import { mountPages } from "./pages.ts";
import { startRobot } from "./robot.ts";

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  console.log(usage());
  process.exit(0);
}

let config;
try {
  config = parseConfig(argv, process.env);
} catch (error) {
  console.error(`deckhand robot: ${(error as Error).message}`);
  process.exit(2);
}

const testBootDelayMs = Number(process.env["DECKHAND_TEST_BOOT_DELAY_MS"] ?? 0) || 0;
let robot;
try {
  robot = await startRobot(config, {
    ...(mountPages ? { mountPages } : {}),
    testBootDelayMs,
    onBootError: (error) => console.error(`deckhand robot: startup failed: ${error.message}`),
  });
} catch (error) {
  console.error(`deckhand robot: ${(error as Error).message}`);
  process.exit(1);
}

console.log(`deckhand robot listening on ${robot.url}`);
console.log(`  data root: ${config.dataRoot} (run store in ${config.dataRoot}/v2, capture files in ${config.dataRoot}/capture)`);
console.log(`  sync target: ${config.syncTarget.kind === "directory" ? config.syncTarget.path : config.syncTarget.kind === "http" ? config.syncTarget.url : config.syncTarget.kind === "s3" ? `s3://${config.syncTarget.bucket}` : "none"}`);
console.log(`  status page: ${robot.url}/   API: ${robot.url}/openapi.json   health: ${robot.url}/health`);
console.log(`  collectors: ${config.collectors.join(", ")} at ${config.captureRateHz} Hz (${config.serialPort ? `first on ${config.serialPort}` : "simulated temperature modules"})`);
robot.ready.then(() => console.log("deckhand robot ready"), () => undefined);

let signals = 0;
const shutdown = (signal: string): void => {
  if (++signals > 1) {
    console.error(`deckhand robot: ${signal} again, exiting now`);
    process.exit(1);
  }
  console.log(`deckhand robot: ${signal}, shutting down`);
  const timer = setTimeout(() => {
    console.error(`deckhand robot: shutdown took longer than ${config.shutdownTimeoutMs} ms, exiting`);
    process.exit(1);
  }, config.shutdownTimeoutMs);
  timer.unref();
  robot.close().then(() => {
    console.log("deckhand robot: stopped cleanly");
    process.exit(0);
  }, (error: unknown) => {
    console.error("deckhand robot: shutdown failed", error);
    process.exit(1);
  });
};
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));
