/**
 * The ingest server's command line:
 *
 *   node --import tsx apps/ingest/main.ts --dir /srv/deckhand [--host 0.0.0.0] [--port 8787] [--token TOKEN]
 *
 * The token may also come from `DECKHAND_INGEST_TOKEN`. Prints `listening <url>`; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { startIngestServer } from "./ingest_server.ts";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8787" },
    dir: { type: "string" },
    token: { type: "string" },
  },
  strict: true,
});
const port = Number(values.port);
if (!values.dir || !Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("usage: main.ts --dir DIR [--host HOST] [--port PORT] [--token TOKEN]");
  process.exit(2);
}
const server = await startIngestServer({
  host: values.host,
  port,
  dir: values.dir,
  token: values.token ?? process.env.DECKHAND_INGEST_TOKEN,
});
console.log(`listening ${server.url}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
