/**
 * `@deckhand/ingest`: the HTTP server robots sync to with `httpTarget` (resumable, hash-verified,
 * content-addressed uploads into a directory or any `@deckhand/sync` target).
 *
 * @example
 * ```ts
 * import { startIngestServer } from "@deckhand/ingest";
 * const server = await startIngestServer({ port: 8787, dir: "/srv/deckhand", token: "s3cret" });
 * ```
 */
export { startIngestServer } from "./ingest_server.ts";
export type { IngestRequestInfo, IngestServer, IngestServerOptions } from "./ingest_server.ts";
