/**
 * The robot the browser test drives, behind one small interface. Today: the SYNTHETIC robot of
 * synthetic_robot.ts (in-memory runs, made-up readings), started in this process, because the robot app is
 * being built on its own branch.
 *
 * @module
 */
import { type SyntheticRobot, startSyntheticRobot, syntheticState } from "./synthetic_robot.ts";

/** What the browser test needs from a robot. */
export interface BrowserRobot {
  readonly url: string;
  /** The API token, when the robot requires one for mutations. */
  readonly token: string | undefined;
  readonly goodRunIds: readonly string[];
  readonly badRunId: string;
  /** The bad run's `dataError` code, as the page shows it. */
  readonly badRunCode: string;
  /** A run that accepts commands right after start. */
  readonly liveRunId: string;
  /** The collector whose plot the test watches. */
  readonly collector: string;
  appendCommand(runId: string): Promise<void>;
  runExists(runId: string): Promise<boolean>;
  /** A run that accepts commands after a restart (it may create one). */
  runAcceptingCommands(): Promise<string>;
  stop(): Promise<void>;
  /** Starts the robot again on the same port with the same data. */
  restart(): Promise<void>;
}

async function ok(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

/** Starts the robot the browser test drives. */
export async function startRobotUnderTest(): Promise<BrowserRobot> {
  const state = syntheticState();
  const token = "synthetic-token";
  let server: SyntheticRobot | undefined = await startSyntheticRobot(state, { token });
  const url = server.url;
  const port = server.port;
  let commandNumber = 0;
  const appendCommand = async (runId: string) => {
    const id = `cmd-${++commandNumber}`;
    const now = new Date().toISOString();
    const body = { data: { id, commandType: "aspirate", status: "succeeded", createdAt: now, completedAt: now } };
    await ok(await fetch(`${url}/runs/${runId}/commands`, { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` }, body: JSON.stringify(body) }), "append a command");
  };
  return {
    url,
    token,
    goodRunIds: ["run-a", "run-b"],
    badRunId: "run-bad",
    badRunCode: "MIGRATION_QUARANTINED",
    liveRunId: "run-b",
    collector: "temperature",
    appendCommand,
    runExists: async (runId) => {
      const response = await fetch(`${url}/runs/${runId}`);
      await response.body?.cancel();
      return response.ok;
    },
    runAcceptingCommands: async () => "run-b",
    stop: async () => {
      await server?.close();
      server = undefined;
    },
    restart: async () => {
      server = await startSyntheticRobot(state, { token, port });
    },
  };
}
