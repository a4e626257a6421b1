// The FgacError family, the typed code table with each code's HTTP status, and
// toErrorResponse: the one mapping from a thrown value to an HTTP answer.
const FGAC_ERROR = Symbol.for("fgac.error");

/**
 * Every code an {@link FgacError} carries, with the HTTP status it answers. The one table
 * everything that compares codes or picks a status reads.
 *
 * @example
 * ```ts
 * if (isFgacError(err) && err.code === "not_found") log.debug("hidden or absent");
 * FGAC_ERROR_STATUS.authorization_unavailable; // 503
 * ```
 */
export const FGAC_ERROR_STATUS = Object.freeze({
  forbidden: 403,
  not_found: 404,
  unauthenticated: 401,
  invalid_identifier: 400,
  invalid_consistency_token: 400,
  conflict: 409,
  authorization_unavailable: 503,
  configuration_error: 500,
} as const);

/**
 * The code of an {@link FgacError}: a key of {@link FGAC_ERROR_STATUS}.
 *
 * @example
 * ```ts
 * const code: FgacErrorCode = "not_found";
 * FGAC_ERROR_STATUS[code]; // 404
 * ```
 */
export type FgacErrorCode = keyof typeof FGAC_ERROR_STATUS;

/**
 * The code of an error answer: an {@link FgacErrorCode}, `"internal_error"` for anything else
 * thrown, `"request_error"` for a framework's own client error (bad JSON, body too large), and
 * the HTTP handler's own refusals of a malformed call.
 *
 * @example
 * ```ts
 * const retryable = (code: ResponseCode) => code === "authorization_unavailable"; // a 503
 * ```
 */
export type ResponseCode =
  | FgacErrorCode
  | "internal_error"
  | "request_error"
  | "bad_request"
  | "method_not_allowed"
  | "payload_too_large";

/** True when `error` is an {@link FgacError} (from any copy of the library) with one of `codes`. */
export function hasFgacCode(
  error: unknown,
  ...codes: readonly FgacErrorCode[]
): error is FgacError {
  return isFgacError(error) && (codes as readonly string[]).includes(error.code);
}

/**
 * Options accepted by every {@link FgacError} constructor.
 *
 * @example
 * ```ts
 * const options: FgacErrorOptions = { cause: err }; // logged server-side, never sent
 * throw new ConflictError(undefined, options);
 * ```
 */
export interface FgacErrorOptions {
  /** The underlying error, kept for server-side debugging; never sent to a client. */
  cause?: unknown;
}

/**
 * Base class of every error the library throws on purpose.
 *
 * `status` is the HTTP status {@link toErrorResponse} answers with; `code` is a stable,
 * machine-readable string. Messages never contain a resource id or a subject.
 *
 * @example
 * ```ts
 * class BadRequestError extends FgacError {
 *   readonly code = "bad_request";
 *   readonly status = 400;
 * }
 * throw new BadRequestError("Invalid page size."); // toErrorResponse answers 400
 * ```
 */
export abstract class FgacError extends Error {
  /**
   * Stable machine-readable code, e.g. `"not_found"`: the library's are the
   * {@link FgacErrorCode}s of {@link FGAC_ERROR_STATUS}; an application's own subclass may
   * add its own (e.g. `"bad_request"`).
   */
  abstract readonly code: FgacErrorCode | (string & {});
  /** HTTP status this error maps to. */
  abstract readonly status: number;

  constructor(message: string, options?: FgacErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    Object.defineProperty(this, FGAC_ERROR, { value: true, enumerable: false });
  }
}

/**
 * The subject is not allowed to perform the operation (HTTP 403).
 *
 * @example
 * ```ts
 * await authz.check(agent(id), "delete"); // denied: throws AuthorizationError, a 403
 * ```
 */
export class AuthorizationError extends FgacError {
  override readonly name = "AuthorizationError" as const;
  readonly code = "forbidden" satisfies FgacErrorCode;
  readonly status = FGAC_ERROR_STATUS.forbidden;
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
 *
 * @example
 * ```ts
 * const row = await db.getAgent(id);
 * if (!row) throw new NotFoundError(agent.notFoundMessage); // "Agent not found."
 * ```
 */
export class NotFoundError extends FgacError {
  override readonly name = "NotFoundError" as const;
  readonly code = "not_found" satisfies FgacErrorCode;
  readonly status = FGAC_ERROR_STATUS.not_found;
  constructor(message = "Not found.", options?: FgacErrorOptions) {
    super(message, options);
  }
}

/**
 * A subject is required and none was given (HTTP 401).
 *
 * @example
 * ```ts
 * await authorizer.forSubject(null).register(apiKey("k1")); // throws UnauthenticatedError, a 401
 * ```
 */
export class UnauthenticatedError extends FgacError {
  override readonly name = "UnauthenticatedError" as const;
  readonly code = "unauthenticated" satisfies FgacErrorCode;
  readonly status = FGAC_ERROR_STATUS.unauthenticated;
  constructor(message = "Authentication required.", options?: FgacErrorOptions) {
    super(message, options);
  }
}

/**
 * An identifier no backend could hold: empty, `*`, spaces, too long (HTTP 400).
 *
 * @example
 * ```ts
 * apiKey("k 1"); // throws InvalidIdentifierError, a 400 (spaces are no SpiceDB id)
 * ```
 */
export class InvalidIdentifierError extends FgacError {
  override readonly name = "InvalidIdentifierError" as const;
  readonly code = "invalid_identifier" satisfies FgacErrorCode;
  readonly status = FGAC_ERROR_STATUS.invalid_identifier;
  constructor(message = "Invalid identifier.", options?: FgacErrorOptions) {
    super(message, options);
  }
}

/**
 * Register of a resource that already exists under another parent or owner (HTTP 409).
 *
 * @example
 * ```ts
 * await authz.register(apiKey("k1"), { parent: agent("a1") });
 * await authz.register(apiKey("k1"), { parent: agent("a2") }); // throws ConflictError, a 409
 * ```
 */
export class ConflictError extends FgacError {
  override readonly name = "ConflictError" as const;
  readonly code = "conflict" satisfies FgacErrorCode;
  readonly status = FGAC_ERROR_STATUS.conflict;
  constructor(
    message = "The resource is already registered with another owner or parent.",
    options?: FgacErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A consistency token (a SpiceDB ZedToken) that is malformed, from another SpiceDB, or from
 * its future (HTTP 400). Tokens usually come from a client (a header, a cookie), so this is the
 * client's error; the message is a constant and never repeats the token.
 *
 * @example
 * ```ts
 * app.use(fgac({ authorizer, subject, consistency: consistencyFromHeader("x-zed-token") }));
 * // a forged x-zed-token answers 400 {"message":"Invalid consistency token.", ...}
 * ```
 */
export class InvalidConsistencyTokenError extends FgacError {
  override readonly name = "InvalidConsistencyTokenError" as const;
  readonly code = "invalid_consistency_token" satisfies FgacErrorCode;
  readonly status = FGAC_ERROR_STATUS.invalid_consistency_token;
  constructor(message = "Invalid consistency token.", options?: FgacErrorOptions) {
    super(message, options);
  }
}

/**
 * Options of {@link AuthorizationUnavailableError}.
 *
 * @example
 * ```ts
 * // In a custom port, on a connection reset (reads are retried):
 * throw new AuthorizationUnavailableError(undefined, { cause: err, transient: true });
 * ```
 */
export interface AuthorizationUnavailableErrorOptions extends FgacErrorOptions {
  /**
   * True when the failure is of the transport and the same read may well succeed at once
   * (unavailable, connection reset): the authorizer retries idempotent reads on it.
   */
  transient?: boolean;
}

/**
 * The authorization backend failed, timed out or answered something unexpected (HTTP 503).
 * The library fails closed: nothing is allowed on this error.
 *
 * @example
 * ```ts
 * port.fail(); // a memoryPort: every call now rejects with AuthorizationUnavailableError
 * await expect(authz.can(apiKey("k1"), "read")).rejects.toThrow(AuthorizationUnavailableError);
 * ```
 */
export class AuthorizationUnavailableError extends FgacError {
  override readonly name = "AuthorizationUnavailableError" as const;
  readonly code = "authorization_unavailable" satisfies FgacErrorCode;
  readonly status = FGAC_ERROR_STATUS.authorization_unavailable;
  /** A transport failure worth retrying for a read; see {@link AuthorizationUnavailableErrorOptions}. */
  readonly transient: boolean;
  constructor(
    message = "Authorization is temporarily unavailable.",
    options?: AuthorizationUnavailableErrorOptions,
  ) {
    super(message, options);
    this.transient = options?.transient === true;
  }
}

/**
 * The library or a backend is misconfigured: a schema that does not define a type or
 * permission the code uses, a missing parent relation, bad options (HTTP 500, generic body).
 *
 * @example
 * ```ts
 * createAuthorizer({ port, timeoutMs: -1 }); // throws ConfigurationError at once, not per request
 * ```
 */
export class ConfigurationError extends FgacError {
  override readonly name = "ConfigurationError" as const;
  readonly code = "configuration_error" satisfies FgacErrorCode;
  readonly status = FGAC_ERROR_STATUS.configuration_error;
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

/**
 * The response every adapter sends for an error. `body` is the exact bytes to send.
 *
 * @example
 * ```ts
 * const { status, headers, body }: ErrorResponse = toErrorResponse(err);
 * return new Response(body, { status, headers });
 * ```
 */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * What {@link ToErrorResponseOptions.body} receives to build a custom body.
 *
 * @example
 * ```ts
 * const body = ({ code, message }: ErrorBodyInput) => ({ error: { code, message } });
 * const response = toErrorResponse(err, { body });
 * ```
 */
export interface ErrorBodyInput {
  status: number;
  /** Safe, identifier-free message (generic for 5xx). */
  message: string;
  /** Stable code, `"internal_error"` for errors that are not {@link FgacError}s. */
  code: ResponseCode | (string & {});
}

/**
 * Options of {@link toErrorResponse}.
 *
 * @example
 * ```ts
 * const options: ToErrorResponseOptions = {
 *   body: ({ code, message }) => ({ error: code, detail: message }),
 * };
 * const { status, headers, body } = toErrorResponse(err, options);
 * ```
 */
export interface ToErrorResponseOptions {
  /** Replaces the default `{"message","code","data"}` body; the result is JSON-serialised. */
  body?: (input: ErrorBodyInput) => unknown;
}

/**
 * Message of every 500: nothing of the cause reaches the client.
 *
 * @example
 * ```ts
 * const { status, body } = toErrorResponse(new Error("connect ECONNREFUSED 10.0.0.5:5432"));
 * // status 500, JSON.parse(body).message === INTERNAL_ERROR_MESSAGE: nothing of the cause leaks
 * ```
 */
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
  code: ResponseCode | (string & {}),
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
