// The answers every adapter's `fgacErrorHandler` and `fgacNotFoundHandler` send: library errors
// through toErrorResponse, a framework's own client errors as generic 4xx, unmatched routes as 404.
import {
  type ErrorResponse,
  errorResponse,
  isFgacError,
  NotFoundError,
  type ToErrorResponseOptions,
  toErrorResponse,
} from "../core/errors.js";
import type { Logger } from "../index.js";

/**
 * Options of `fgacErrorHandler` in every adapter.
 *
 * @example
 * ```ts
 * app.use(fgacErrorHandler({
 *   logger,
 *   body: ({ message, code }) => ({ error: { message, code } }),
 * }));
 * ```
 */
export interface ErrorHandlerOptions extends ToErrorResponseOptions {
  /** Where unexpected (500) errors are logged; their details never reach the client. */
  logger?: Pick<Logger, "error">;
}

/**
 * Options of `fgacNotFoundHandler` in every adapter: `body` reshapes the answer as it does for
 * `fgacErrorHandler`, so both keep one shape.
 *
 * @example
 * ```ts
 * app.use(fgacNotFoundHandler({ body: ({ message, code }) => ({ error: { message, code } }) }));
 * ```
 */
export type NotFoundHandlerOptions = ToErrorResponseOptions;

// Constant messages: a framework's own message may quote the URL, a header or the body.
const CLIENT_MESSAGES: Record<number, string> = {
  400: "Bad request.",
  401: "Authentication required.",
  403: "Forbidden.",
  404: "Not found.",
  405: "Method not allowed.",
  408: "Request timeout.",
  411: "Length required.",
  413: "Payload too large.",
  414: "URI too long.",
  415: "Unsupported media type.",
  429: "Too many requests.",
  431: "Request header fields too large.",
};

function frameworkClientStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { status?: unknown; statusCode?: unknown };
  const status = typeof e.statusCode === "number" ? e.statusCode : e.status;
  return typeof status === "number" && status >= 400 && status < 500 ? status : undefined;
}

/**
 * @internal Every adapter's answer to a request no route matched: `NotFoundError`'s 404
 * through `toErrorResponse` (`{"message":"Not found.","code":404,"data":null}`), the same for
 * every method and path, so nothing of the request is echoed.
 */
export function notFoundResponse(options: NotFoundHandlerOptions = {}): ErrorResponse {
  return toErrorResponse(new NotFoundError(), options);
}

/**
 * @internal Every adapter's error answer. Library errors map through `toErrorResponse`; a
 * framework's own client error (a malformed URL, bad JSON, a body too large, an unsupported
 * media type, Fastify's 414) keeps its 4xx status with a constant message; everything else is a
 * generic 500, logged server-side.
 */
export function errorResponseFor(error: unknown, options: ErrorHandlerOptions = {}): ErrorResponse {
  if (isFgacError(error)) {
    if (error.status >= 500 && error.status !== 503) {
      // Code and message only: ours never hold a subject, a backend's cause might.
      options.logger?.error({ code: error.code, message: error.message }, "fgac: server error");
    }
    return toErrorResponse(error, options);
  }
  const clientStatus = frameworkClientStatus(error);
  if (clientStatus !== undefined) {
    const message = CLIENT_MESSAGES[clientStatus] ?? "Request error.";
    return errorResponse(clientStatus, message, "request_error", options);
  }
  options.logger?.error({ err: error }, "fgac: unhandled error");
  return toErrorResponse(error, options);
}
