/**
 * The robot under test: one data root, one robot app process at a time, its lives (sessions) from start to kill
 * or clean stop, and a poller that records each session's capture counter (`captured` of every collector from
 * `GET /capture/collectors`) so the loss window can be checked against what was captured before each kill.
 *
 * @example
 * ```ts
 * const robot = createRobotUnderTest({ dataRoot, token: "t", args: ["--capture-rate-hz", "1000"] });
 * await robot.start();
 * await robot.kill();          // kill -9
 * await robot.start();         // same data root, new port
 * await robot.stop();
 * console.log(robot.sessions());
 * ```
 */
import type { CaptureSession } from "./capture_census.ts";
import { startRobotProcess, type RobotProcess } from "./robot_process.ts";

/** One life of the robot process, with its capture counters per collector. */
export interface RobotSession {
  readonly startedAt: number;
  endedAt: number | null;
  killed: boolean;
  readonly pid: number;
  /** Per collector: `{ t, captured }` polls (t: when the answer arrived). */
  readonly polls: Map<string, { t: number; captured: number }[]>;
}

/** The robot under test. */
export interface RobotUnderTest {
  readonly dataRoot: string;
  /** The current URL, or null while no process is up. */
  url(): string | null;
  /** The current process, if any. */
  process(): RobotProcess | null;
  /** Starts a process (ready once `/health` is 200) and a new session. */
  start(): Promise<RobotProcess>;
  /** `kill -9` the current process; the session ends as killed at this instant. */
  kill(): Promise<void>;
  /** Clean stop (SIGTERM); the session ends as not killed. Resolves with the exit code. */
  stop(): Promise<number | null>;
  sessions(): readonly RobotSession[];
  /** The sessions of one collector, as the capture window check reads them. */
  captureSessions(collector: string): CaptureSession[];
}

/** Creates the robot under test; nothing runs until `start()`. */
export function createRobotUnderTest(options: { dataRoot: string; token: string; args?: readonly string[]; pollIntervalMs?: number }): RobotUnderTest {
  let current: RobotProcess | null = null;
  let session: RobotSession | null = null;
  let poller: ReturnType<typeof setInterval> | undefined;
  const sessions: RobotSession[] = [];

  const poll = async (robot: RobotProcess, into: RobotSession) => {
    const answer = await fetch(`${robot.url}/capture/collectors`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
    if (!answer) return;
    if (answer.status !== 200) {
      await answer.body?.cancel();
      return;
    }
    const t = Date.now();
    const rows = ((await answer.json().catch(() => ({ data: [] }))) as { data: { name: string; captured: number }[] }).data;
    if (into.endedAt !== null) return; // answered after the kill: not evidence of anything durable
    for (const row of rows) {
      let list = into.polls.get(row.name);
      if (!list) into.polls.set(row.name, (list = []));
      list.push({ t, captured: row.captured });
    }
  };
  const end = (killed: boolean) => {
    if (poller) clearInterval(poller);
    if (session && session.endedAt === null) {
      session.endedAt = Date.now();
      session.killed = killed;
    }
    current = null;
    session = null;
  };

  return {
    dataRoot: options.dataRoot,
    url: () => current?.url ?? null,
    process: () => current,
    async start() {
      if (current) throw new Error("the robot is already running");
      const startedAt = Date.now();
      const robot = await startRobotProcess({ dataRoot: options.dataRoot, token: options.token, extraArgs: options.args ?? [] });
      const s: RobotSession = { startedAt, endedAt: null, killed: false, pid: robot.pid, polls: new Map() };
      sessions.push(s);
      current = robot;
      session = s;
      poller = setInterval(() => void poll(robot, s), options.pollIntervalMs ?? 150);
      return robot;
    },
    async kill() {
      const robot = current;
      if (!robot) return;
      end(true); // the session ends no later than the kill: conservative for the loss window
      await robot.kill();
    },
    async stop() {
      const robot = current;
      if (!robot) return null;
      if (poller) clearInterval(poller);
      // The counters up to the stop are durable: one last poll before asking it to stop.
      if (session) await poll(robot, session);
      const code = await robot.stop();
      end(false);
      return code;
    },
    sessions: () => sessions,
    captureSessions(collector) {
      return sessions.filter((s) => s.endedAt !== null).map((s) => ({
        startedAt: s.startedAt, endedAt: s.endedAt!, killed: s.killed, polls: s.polls.get(collector) ?? [],
      }));
    },
  };
}
