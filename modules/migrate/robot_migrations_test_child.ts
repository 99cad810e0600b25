/**
 * Crash-test child (not published): migrates the data root at argv[2] to v2 with argv[3] workers, printing
 * `ready` before it starts, one `progress <phase> <done>/<total>` line per report, and `done` at the end. The
 * parent kills it with SIGKILL at a random moment.
 */
import { migrateDataRoot, ROBOT_DATA_VERSION, robotMigrations } from "./mod.ts";

const [root, workers] = process.argv.slice(2);
if (!root) throw new Error("usage: robot_migrations_test_child.ts <root> <workers>");
console.log("ready");
await migrateDataRoot({
  root,
  target: ROBOT_DATA_VERSION,
  migrations: robotMigrations,
  workers: Number(workers ?? 1),
  progressIntervalMs: 1,
  onProgress: (p) => console.log(`progress ${p.phase} ${p.done}/${p.total}`),
});
console.log("done");
