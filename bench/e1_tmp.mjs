import Database from "libsql";
import { rmSync } from "node:fs";
const N = 1_000_000;
function setup(name) {
  rmSync(`/tmp/exp/${name}.db`, { force: true }); rmSync(`/tmp/exp/${name}.db-wal`, { force: true });
  const db = new Database(`/tmp/exp/${name}.db`);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  db.exec(`CREATE TABLE runs (id TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE commands (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, idx INTEGER NOT NULL, command_id TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (run_id, idx));
  CREATE UNIQUE INDEX commands_run_command ON commands (run_id, command_id);
  INSERT INTO runs (id) VALUES ('run-1');`);
  return db;
}
const cmds = Array.from({ length: N }, (_, i) => ({ id: `cmd-${i}`, commandType: "aspirate", status: "succeeded", params: { volume: i % 100 } }));
let t = performance.now();
const texts = cmds.map((c) => JSON.stringify(c));
console.log("stringify", performance.now() - t);
{ const db = setup("raw"); t = performance.now();
  const st = db.prepare("INSERT INTO commands (run_id, idx, command_id, version, doc) VALUES (?, ?, ?, ?, ?)");
  db.exec("BEGIN"); for (let i = 0; i < N; i++) st.run("run-1", i, cmds[i].id, 1, texts[i]); db.exec("COMMIT");
  console.log("raw prepared", performance.now() - t); }
{ const db = setup("je"); t = performance.now();
  const arr = "[" + texts.join(",") + "]";
  db.exec("BEGIN"); db.prepare("INSERT INTO commands (run_id, idx, command_id, version, doc) SELECT ?, ? + key, value->>'id', ?, value FROM json_each(?)").run("run-1", 0, 1, arr); db.exec("COMMIT");
  console.log("json_each insert", performance.now() - t); }
{ const db = setup("jeup"); t = performance.now();
  const arr = "[" + texts.join(",") + "]";
  db.exec("BEGIN");
  db.prepare("UPDATE commands SET doc = j.value, version = ? FROM json_each(?) j WHERE commands.run_id = ? AND commands.command_id = j.value->>'id'").run(1, arr, "run-1");
  db.prepare("INSERT INTO commands (run_id, idx, command_id, version, doc) SELECT ?, ? + row_number() OVER (ORDER BY j.key) - 1, j.value->>'id', ?, j.value FROM json_each(?) j WHERE NOT EXISTS (SELECT 1 FROM commands c WHERE c.run_id = ? AND c.command_id = j.value->>'id')").run("run-1", 0, 1, arr, "run-1");
  db.exec("COMMIT");
  console.log("json_each upsert (empty run)", performance.now() - t);
  t = performance.now();
  db.exec("BEGIN");
  db.prepare("UPDATE commands SET doc = j.value, version = ? FROM json_each(?) j WHERE commands.run_id = ? AND commands.command_id = j.value->>'id'").run(1, arr, "run-1");
  db.prepare("INSERT INTO commands (run_id, idx, command_id, version, doc) SELECT ?, ? + row_number() OVER (ORDER BY j.key) - 1, j.value->>'id', ?, j.value FROM json_each(?) j WHERE NOT EXISTS (SELECT 1 FROM commands c WHERE c.run_id = ? AND c.command_id = j.value->>'id')").run("run-1", N, 1, arr, "run-1");
  db.exec("COMMIT");
  console.log("json_each upsert (all existing)", performance.now() - t, db.prepare("select count(*) n, max(idx) m from commands").get());
}
