/**
 * The robot app as the bench's child process: the real app (`startRobot`: capture at 10 Hz through the mock
 * serial binding, sync to a local directory, reports) on 127.0.0.1 port 0 over the data root given as the first
 * argument, plus one trivial Hono route, `GET /bench/trivial`, in the same process and the same middleware chain:
 * the framework's ceiling every route is measured against. Prints `listening <url>` when ready.
 */
import { parseConfig, startRobot } from "@deckhand/robot";

const dataRoot = process.argv[2];
if (!dataRoot) throw new Error("usage: robot_bench_child.ts <data-root>");
const robot = await startRobot(parseConfig(["--port", "0", "--data-root", dataRoot, "--max-body-bytes", String(64 << 20)], {}), {
  mountPages: (app) => {
    app.get("/bench/trivial", (c) => c.json({ data: "ok" }));
  },
});
await robot.ready;
console.log(`listening ${robot.url}`);
process.once("SIGTERM", () => {
  robot.close().then(() => process.exit(0), (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
