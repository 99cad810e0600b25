/**
 * A small HTTP client of the robot app for the campaign: JSON requests with the bearer token, each timed, and
 * the acknowledged-writes reader over `GET /runs/R` and `GET /runs/R/commands/C`. The robot's URL is read on
 * each request (it changes at every restart).
 *
 * @example
 * ```ts
 * const client = createRobotClient({ url: () => robot.url, token: "t" });
 * const answer = await client.request("POST", "/runs", { data: {} });
 * ```
 */
import type { AckReader } from "./ack_ledger.ts";

/** An answer, or the connection error that stood in for one. */
export type RobotAnswer =
  | { readonly ok: true; readonly status: number; readonly body: unknown; readonly text: string; readonly ms: number }
  | { readonly ok: false; readonly error: string; readonly ms: number };

/** The client. */
export interface RobotClient {
  request(method: string, path: string, body?: unknown, options?: { timeoutMs?: number }): Promise<RobotAnswer>;
}

/** Creates a client; `url()` returns the robot's current base URL, or null while it is down. */
export function createRobotClient(options: { url: () => string | null; token: string; timeoutMs?: number }): RobotClient {
  return {
    async request(method, path, body, requestOptions) {
      const base = options.url();
      const started = performance.now();
      if (base === null) return { ok: false, error: "robot down", ms: 0 };
      try {
        const response = await fetch(base + path, {
          method,
          headers: {
            authorization: `Bearer ${options.token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
          signal: AbortSignal.timeout(requestOptions?.timeoutMs ?? options.timeoutMs ?? 30_000),
        });
        const text = await response.text();
        let parsed: unknown = undefined;
        if ((response.headers.get("content-type") ?? "").includes("json") && text !== "") parsed = JSON.parse(text);
        return { ok: true, status: response.status, body: parsed, text, ms: performance.now() - started };
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        return { ok: false, error: cause?.code ?? (error as Error).name ?? String(error), ms: performance.now() - started };
      }
    },
  };
}

/** The acknowledged-writes reader over HTTP; a connection error is thrown (the check is retried, never guessed). */
export function httpAckReader(client: RobotClient): AckReader {
  const get = async (path: string) => {
    const answer = await client.request("GET", path);
    if (!answer.ok) throw new Error(`GET ${path}: ${answer.error}`);
    if (answer.status >= 500) throw new Error(`GET ${path}: ${answer.status} ${answer.text.slice(0, 300)}`);
    return answer;
  };
  return {
    async hasRun(runId) {
      return (await get(`/runs/${encodeURIComponent(runId)}`)).status === 200;
    },
    async commandJson(runId, commandId) {
      const answer = await get(`/runs/${encodeURIComponent(runId)}/commands/${encodeURIComponent(commandId)}`);
      if (answer.status !== 200) return undefined;
      return JSON.stringify((answer.body as { data: unknown }).data);
    },
  };
}
