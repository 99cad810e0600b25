/**
 * Requests Node's HTTP parser refuses before any route sees them (malformed heads, raw bytes that are not valid in
 * a request target, such as invalid UTF-8, oversized headers, timeouts) are answered with the same error envelope
 * as every other error, instead of Node's bare `400 Bad Request`, and the connection is closed.
 *
 * @module
 */
import { type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { HeadersTooLargeError, MalformedRequestError, RequestTimeoutError } from "./errors.ts";
import { errorBody } from "./http_errors.ts";

/** The error a parser failure answers with. */
export function clientErrorFor(error: NodeJS.ErrnoException): Error {
  if (error.code === "HPE_HEADER_OVERFLOW") return new HeadersTooLargeError("the request headers are too large");
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return new RequestTimeoutError("the request did not arrive in time");
  return new MalformedRequestError(`the request is not valid HTTP/1.1 (${error.code ?? "parse error"}); a request target must be ASCII, with UTF-8 percent-encoded`);
}

/** Installs the envelope-answering `clientError` handler on `server`. */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    const response = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || response?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, body } = errorBody(clientErrorFor(error));
    const text = JSON.stringify(body);
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  });
}
