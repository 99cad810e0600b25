/**
 * Hostile stored data: with the robot app stopped, a run row is overwritten with corrupt JSON, another is marked
 * as written by a future codec version, one command row is made unreadable, a finished capture file is cut short
 * (left as a `.part`, as a crash would) and another gets a flipped bit. The app must boot, list every run (the
 * damaged ones as bad records with their code), serve the readable commands, delete a bad run, and keep
 * capturing; a capture file it cannot trust must be set aside, never served or uploaded as good.
 *
 * @example
 * ```ts
 * const result = await runStoredDataPhase({ workDir, token: "t", args: [], log: console.log });
 * ```
 */
import { createClient } from "@libsql/client";
import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readCaptureMessages } from "./capture_census.ts";
import { createRobotClient } from "./robot_client.ts";
import { createRobotUnderTest } from "./robot_under_test.ts";
import type { Scorecard } from "./scorecard.ts";

type Case = NonNullable<Scorecard["storedData"]>["cases"][number];

/** Runs the phase on its own data root. */
export async function runStoredDataPhase(options: { workDir: string; token: string; args: readonly string[]; log: (line: string) => void }): Promise<{ figures: NonNullable<Scorecard["storedData"]>; failures: string[] }> {
  const root = join(options.workDir, "stored-data-root");
  const robot = createRobotUnderTest({ dataRoot: root, token: options.token, args: [...options.args, "--sync-target", "none", "--capture-file-age-ms", "500"] });
  const client = createRobotClient({ url: () => robot.url(), token: options.token });
  const cases: Case[] = [];
  const failures: string[] = [];
  const expect = (name: string, ok: boolean, outcome: string) => {
    cases.push({ name, ok, outcome });
    if (!ok) failures.push(`stored data: ${name}: ${outcome}`);
  };
  try {
    await robot.start();
    const runIds: string[] = [];
    for (let r = 0; r < 3; r++) {
      const created = await client.request("POST", "/runs", { data: {} });
      if (!created.ok || created.status !== 201) throw new Error(`POST /runs answered ${created.ok ? created.status : created.error}`);
      const id = (created.body as { data: { id: string } }).data.id;
      runIds.push(id);
      await client.request("POST", `/runs/${id}/actions`, { data: { actionType: "play" } });
      await client.request("POST", `/runs/${id}/commands`, { data: Array.from({ length: 5 }, (_, i) => ({ id: `sd-${r}-${i}`, commandType: "home", status: "succeeded" })) });
      await client.request("PUT", `/runs/${id}/summary`, { data: { status: "succeeded", errors: [] } });
    }
    await new Promise((resolve) => setTimeout(resolve, 2500)); // a few finished capture files
    await robot.stop();

    const [corruptRun, futureRun, goodRun] = runIds as [string, string, string];
    const db = createClient({ url: `file:${join(root, "v2", "runs.db")}` });
    await db.execute({ sql: "UPDATE runs SET doc = ? WHERE id = ?", args: ['{"id": "truncated', corruptRun] });
    await db.execute({ sql: "UPDATE runs SET version = 999 WHERE id = ?", args: [futureRun] });
    await db.execute({ sql: "UPDATE commands SET doc = ? WHERE run_id = ? AND idx = 2", args: ["\u0000not json", goodRun] });
    db.close();
    const captureDir = join(root, "capture");
    const finished = (await readdir(captureDir)).filter((n) => n.endsWith(".mcap")).sort();
    if (finished.length < 2) throw new Error(`expected finished capture files to damage, found ${finished.length}`);
    const [toFlip, toTruncate] = finished.slice(-2) as [string, string];
    const truncated = await readFile(join(captureDir, toTruncate));
    await writeFile(join(captureDir, `${toTruncate}.part`), truncated.subarray(0, Math.floor(truncated.length * 0.6)));
    await rename(join(captureDir, toTruncate), join(options.workDir, `${toTruncate}.original`));
    const flipped = await readFile(join(captureDir, toFlip));
    flipped[Math.floor(flipped.length / 2)]! ^= 0x10;
    await writeFile(join(captureDir, toFlip), flipped);
    options.log(`stored data: corrupted run ${corruptRun}, future-version run ${futureRun}, command 2 of ${goodRun}; truncated ${toTruncate}, flipped a bit in ${toFlip}`);

    await robot.start().then(
      () => expect("the app boots on the damaged data root", true, "ready"),
      (error: unknown) => {
        expect("the app boots on the damaged data root", false, String(error).slice(0, 300));
        throw error;
      },
    );
    const list = await client.request("GET", "/runs");
    const rows = list.ok && list.status === 200 ? (list.body as { data: { id: string; dataError?: { meta?: { code?: string } } }[] }).data : [];
    const codeOf = (id: string) => rows.find((r) => r.id === id)?.dataError?.meta?.code;
    expect("GET /runs lists all three runs", rows.length === 3, `answered ${list.ok ? list.status : list.error} with ${rows.length} runs`);
    expect("a corrupt run row is a bad run", codeOf(corruptRun) === "INVALID_STORED_DATA", `dataError code ${codeOf(corruptRun)}`);
    expect("a future-version run row is a bad run", codeOf(futureRun) === "FUTURE_VERSION", `dataError code ${codeOf(futureRun)}`);
    expect("the good run stays good", codeOf(goodRun) === undefined && rows.some((r) => r.id === goodRun), `dataError code ${codeOf(goodRun)}`);
    const one = await client.request("GET", `/runs/${corruptRun}`);
    expect("GET a corrupt run answers 200 with its dataError", one.ok && one.status === 200, one.ok ? String(one.status) : one.error);
    const page = await client.request("GET", `/runs/${goodRun}/commands?cursor=0&pageLength=10`);
    const items = page.ok && page.status === 200 ? (page.body as { data: { id: string; dataError?: unknown }[] }).data : [];
    expect("a page with an unreadable command lists it as a bad command", items.length === 5 && items.filter((c) => c.dataError).length === 1, `answered ${page.ok ? page.status : page.error} with ${items.length} items, ${items.filter((c) => c.dataError).length} bad`);
    const bad = await client.request("GET", `/runs/${goodRun}/commands/sd-2-2`);
    expect("GET the unreadable command answers 200 with its dataError", bad.ok && bad.status === 200 && /dataError/.test(bad.text), bad.ok ? `${bad.status} ${bad.text.slice(0, 160)}` : bad.error);
    const deleted = await client.request("DELETE", `/runs/${corruptRun}`);
    const gone = await client.request("GET", `/runs/${corruptRun}`);
    expect("a bad run can be deleted", deleted.ok && deleted.status === 200 && gone.ok && gone.status === 404, `DELETE ${deleted.ok ? deleted.status : deleted.error}, then GET ${gone.ok ? gone.status : gone.error}`);
    // Capture: the truncated .part recovered as a valid (shorter) file; the flipped file never passed on as good.
    const after = await readdir(captureDir);
    const savedAside = (await readdir(join(captureDir, "corrupt")).catch(() => [] as string[])).filter((n) => n.startsWith(toTruncate));
    const recovered = after.includes(toTruncate) ? await readCaptureMessages([join(captureDir, toTruncate)]) : undefined;
    // Recovered up to its last intact chunk (a valid, shorter file), with the torn bytes saved under corrupt/; or,
    // when no chunk was intact, no file and every byte saved under corrupt/.
    expect(
      "a truncated capture file is recovered to its last intact chunk, the torn bytes kept aside",
      !after.includes(`${toTruncate}.part`) && (recovered ? recovered.unreadable.length === 0 : savedAside.length > 0),
      `${recovered ? `${recovered.messages} messages recovered` : "no intact chunk to recover"}; corrupt/: ${savedAside.join(", ") || "nothing"}`,
    );
    const flippedNow = after.includes(toFlip) ? await readCaptureMessages([join(captureDir, toFlip)]) : undefined;
    expect(
      "a bit-flipped finished capture file is found and set aside, not kept (and synced) as good",
      flippedNow === undefined || flippedNow.unreadable.length === 0,
      flippedNow === undefined ? "moved out of the capture directory" : flippedNow.unreadable.length ? `still in the capture directory as a finished file, and not valid MCAP: ${flippedNow.unreadable[0]!.reason}` : "still there and valid (the flip hit bytes no reader checks)",
    );
    const collectors = await client.request("GET", "/capture/collectors");
    const running = collectors.ok && collectors.status === 200 && (collectors.body as { data: { running: boolean }[] }).data.every((c) => c.running);
    expect("capture goes on", running, collectors.ok ? collectors.text.slice(0, 200) : collectors.error);
    const code = await robot.stop();
    expect("a clean stop afterwards", code === 0, `exit ${code}`);
  } finally {
    if (robot.url()) await robot.kill();
  }
  return { figures: { cases }, failures };
}
