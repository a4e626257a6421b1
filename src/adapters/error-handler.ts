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
  /**
   * Where unexpected (500) errors are logged, with their stack; their details never reach the
   * client. Without one, each kind of unexpected error is reported once through
   * `process.emitWarning` (or `console.error` where there is no `process`), so a 500 is never
   * silent.
   */
  logger?: Pick<Logger, "error">;
}

/** Kinds of unexpected error already reported without a logger: once each, not per request. */
const warned = new Set<string>();

/** Reports an unexpected error where no logger was given: once per kind (name and code). */
function warnOnce(kind: string, error: unknown): void {
  if (warned.has(kind) || warned.size > 100) return;
  warned.add(kind);
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const text = `fgac: an unexpected error answered 500 (${kind}); pass a logger to fgacErrorHandler to log every one.\n${stack}`;
  const emit = (globalThis as { process?: { emitWarning?: (m: string, o: object) => void } })
    .process?.emitWarning;
  if (typeof emit === "function") emit(text, { code: "FGAC_UNHANDLED_ERROR" });
  else console.error(text);
}

function reportUnexpected(
  options: ErrorHandlerOptions,
  fields: Record<string, unknown>,
  error: unknown,
  kind: string,
): void {
  if (options.logger) options.logger.error(fields, "fgac: server error");
  else warnOnce(kind, error);
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
      // Code, message and stack only: ours never hold a subject, a backend's cause might.
      const fields = { code: error.code, message: error.message, stack: error.stack };
      reportUnexpected(options, fields, error, `${error.name}/${error.code}`);
    }
    return toErrorResponse(error, options);
  }
  const clientStatus = frameworkClientStatus(error);
  if (clientStatus !== undefined) {
    const message = CLIENT_MESSAGES[clientStatus] ?? "Request error.";
    return errorResponse(clientStatus, message, "request_error", options);
  }
  const name = error instanceof Error ? error.name : typeof error;
  reportUnexpected(options, { err: error }, error, name);
  return toErrorResponse(error, options);
}
