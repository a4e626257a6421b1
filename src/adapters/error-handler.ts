// The error answer every adapter's `fgacErrorHandler` sends: library errors through
// toErrorResponse, a framework's own client errors (bad JSON, body too large) as generic 4xx.
import {
  type ErrorResponse,
  errorResponse,
  isFgacError,
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

const CLIENT_MESSAGES: Record<number, string> = {
  400: "Bad request.",
  404: "Not found.",
  405: "Method not allowed.",
  413: "Payload too large.",
  415: "Unsupported media type.",
};

function frameworkClientStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { status?: unknown; statusCode?: unknown };
  const status = typeof e.statusCode === "number" ? e.statusCode : e.status;
  return typeof status === "number" && status >= 400 && status < 500 ? status : undefined;
}

/**
 * @internal Every adapter's error answer. Library errors map through `toErrorResponse`; a
 * framework's own client error (bad JSON, body too large) keeps its 4xx status with a generic
 * message; everything else is a generic 500, logged server-side.
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
