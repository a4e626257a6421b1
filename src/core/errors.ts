const FGAC_ERROR = Symbol.for("fgac.error");

/** Options accepted by every {@link FgacError} constructor. */
export interface FgacErrorOptions {
  /** The underlying error, kept for server-side debugging; never sent to a client. */
  cause?: unknown;
}

/**
 * Base class of every error the library throws on purpose.
 *
 * `status` is the HTTP status {@link toErrorResponse} answers with; `code` is a stable,
 * machine-readable string. Messages never contain a resource id or a subject.
 */
export abstract class FgacError extends Error {
  /** Stable machine-readable code, e.g. `"not_found"`. */
  abstract readonly code: string;
  /** HTTP status this error maps to. */
  abstract readonly status: number;

  constructor(message: string, options?: FgacErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    Object.defineProperty(this, FGAC_ERROR, { value: true, enumerable: false });
  }
}

/** The subject is not allowed to perform the operation (HTTP 403). */
export class AuthorizationError extends FgacError {
  override readonly name = "AuthorizationError" as const;
  readonly code = "forbidden" as const;
  readonly status = 403 as const;
  constructor(
    message = "You do not have permission to perform this action.",
    options?: FgacErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The resource is absent, or the subject may not see it and the denial was collapsed (HTTP 404).
 * The message is a constant: it must never name an identifier.
 */
export class NotFoundError extends FgacError {
  override readonly name = "NotFoundError" as const;
  readonly code = "not_found" as const;
  readonly status = 404 as const;
  constructor(message = "Not found.", options?: FgacErrorOptions) {
    super(message, options);
  }
}

/** A subject is required and none was given (HTTP 401). */
export class UnauthenticatedError extends FgacError {
  override readonly name = "UnauthenticatedError" as const;
  readonly code = "unauthenticated" as const;
  readonly status = 401 as const;
  constructor(message = "Authentication required.", options?: FgacErrorOptions) {
    super(message, options);
  }
}

/** An identifier no backend could hold: empty, `*`, spaces, too long (HTTP 400). */
export class InvalidIdentifierError extends FgacError {
  override readonly name = "InvalidIdentifierError" as const;
  readonly code = "invalid_identifier" as const;
  readonly status = 400 as const;
  constructor(message = "Invalid identifier.", options?: FgacErrorOptions) {
    super(message, options);
  }
}

/** Register of a resource that already exists under another parent or owner (HTTP 409). */
export class ConflictError extends FgacError {
  override readonly name = "ConflictError" as const;
  readonly code = "conflict" as const;
  readonly status = 409 as const;
  constructor(
    message = "The resource is already registered with another owner or parent.",
    options?: FgacErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The authorization backend failed, timed out or answered something unexpected (HTTP 503).
 * The library fails closed: nothing is allowed on this error.
 */
export class AuthorizationUnavailableError extends FgacError {
  override readonly name = "AuthorizationUnavailableError" as const;
  readonly code = "authorization_unavailable" as const;
  readonly status = 503 as const;
  constructor(message = "Authorization is temporarily unavailable.", options?: FgacErrorOptions) {
    super(message, options);
  }
}

/**
 * The library or a backend is misconfigured: a schema that does not define a type or
 * permission the code uses, a missing parent relation, bad options (HTTP 500, generic body).
 */
export class ConfigurationError extends FgacError {
  override readonly name = "ConfigurationError" as const;
  readonly code = "configuration_error" as const;
  readonly status = 500 as const;
}

/**
 * True for any error thrown by this library, even across duplicate copies of it (ESM and CJS
 * builds loaded side by side), where `instanceof` would fail.
 *
 * @example
 * ```ts
 * if (isFgacError(err)) reply.status(err.status);
 * ```
 */
export function isFgacError(error: unknown): error is FgacError {
  if (error instanceof FgacError) return true;
  if (typeof error !== "object" || error === null) return false;
  const e = error as Record<PropertyKey, unknown>;
  return e[FGAC_ERROR] === true && typeof e["code"] === "string" && typeof e["status"] === "number";
}

/** The response every adapter sends for an error. `body` is the exact bytes to send. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What {@link ToErrorResponseOptions.body} receives to build a custom body. */
export interface ErrorBodyInput {
  status: number;
  /** Safe, identifier-free message (generic for 5xx). */
  message: string;
  /** Stable code, `"internal_error"` for errors that are not {@link FgacError}s. */
  code: string;
}

/** Options of {@link toErrorResponse}. */
export interface ToErrorResponseOptions {
  /** Replaces the default `{"message","code","data"}` body; the result is JSON-serialised. */
  body?: (input: ErrorBodyInput) => unknown;
}

/** Message of every 500: nothing of the cause reaches the client. */
export const INTERNAL_ERROR_MESSAGE = "Internal server error.";

/**
 * The one mapping from any thrown value to an HTTP response, used by every adapter so that the
 * same error gives the same status, headers and body bytes everywhere.
 *
 * Default body: `{"message": string, "code": status, "data": null}`. An error that is not an
 * {@link FgacError} (and a {@link ConfigurationError}) becomes a 500 with a generic message.
 *
 * @param error - anything that was thrown
 * @param options - `body` to replace the default body shape
 * @returns status, headers (JSON content-type) and the serialised body
 * @example
 * ```ts
 * const { status, headers, body } = toErrorResponse(err);
 * res.writeHead(status, headers).end(body);
 * ```
 */
export function toErrorResponse(
  error: unknown,
  options: ToErrorResponseOptions = {},
): ErrorResponse {
  if (isFgacError(error) && error.status !== 500) {
    return errorResponse(error.status, error.message, error.code, options);
  }
  return errorResponse(500, INTERNAL_ERROR_MESSAGE, "internal_error", options);
}

/**
 * @internal The single builder of error responses, behind {@link toErrorResponse}, the
 * adapters' answers to framework errors and the HTTP handler's own 400/401/404/405.
 * `message` must already be safe to show (constant, identifier-free).
 */
export function errorResponse(
  status: number,
  message: string,
  code: string,
  options: ToErrorResponseOptions = {},
): ErrorResponse {
  const payload = options.body
    ? options.body({ status, message, code })
    : { message, code: status, data: null };
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    body: JSON.stringify(payload),
  };
}
