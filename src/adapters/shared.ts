import type { Authorizer, CollapsePolicy, Logger, RequestAuthorizer } from "../core/authorizer.js";
import {
  ConfigurationError,
  type ErrorResponse,
  errorResponse,
  isFgacError,
  NotFoundError,
  type ToErrorResponseOptions,
  toErrorResponse,
  UnauthenticatedError,
} from "../core/errors.js";
import type { Consistency } from "../core/port.js";
import {
  assertSubject,
  isValidId,
  type PermissionOf,
  type ResourceKind,
  type Subject,
} from "../core/resources.js";

/** Resolves the caller of a request: a subject, `null` (anonymous) or a promise of either. */
export type SubjectResolver<Req> = (req: Req) => Subject | null | Promise<Subject | null>;

/** Options shared by the `fgac(...)` middleware of every adapter. */
export interface FgacMiddlewareOptions<Req> {
  /** The authorizer built by `createAuthorizer`. */
  authorizer: Authorizer;
  /** Who is calling. See `subjectFromHeaders()` for gateway-set headers. */
  subject: SubjectResolver<Req>;
  /**
   * Marks a request as a trusted internal call: return a reason (a non-empty string) to give
   * it `authorizer.bypass(reason)`; return nothing for normal authorization.
   * Only decide this from something the caller cannot forge (mTLS identity, a private port).
   */
  bypass?: (req: Req) => string | undefined | null | false;
  /**
   * The consistency of this request's checks and lookups, e.g. `atLeastAsFresh` a ZedToken the
   * client carries from its last write (a header or cookie your app sets). Return nothing for
   * the port's default. An invalid value answers 500 (a configuration error), never an allow.
   */
  consistency?: (req: Req) => Consistency | undefined | null;
}

/** Options of `authorizeParam` in every adapter. */
export interface AuthorizeParamOptions<K extends ResourceKind> {
  /** Name of the path parameter holding the id. */
  param: string;
  /** The resource kind, e.g. `apiKey`: builds the resource and names its 404 message. */
  resource: K;
  /** The permission to check, e.g. `"read"`. */
  permission: PermissionOf<ReturnType<K>>;
  /** Collapse policy for this route (default: the authorizer's). */
  collapse?: CollapsePolicy;
}

/** Options of `fgacErrorHandler` in every adapter. */
export interface ErrorHandlerOptions extends ToErrorResponseOptions {
  /** Where unexpected (500) errors are logged; their details never reach the client. */
  logger?: Pick<Logger, "error">;
}

/** @internal Builds the request's authorizer. */
export async function resolveRequestAuthorizer<Req>(
  options: FgacMiddlewareOptions<Req>,
  req: Req,
): Promise<RequestAuthorizer> {
  const reason = options.bypass?.(req);
  if (typeof reason === "string" && reason.trim() !== "") return options.authorizer.bypass(reason);
  const subject = await options.subject(req);
  const consistency = options.consistency?.(req);
  const bound = consistency ? { consistency } : {};
  if (subject === null || subject === undefined) return options.authorizer.forSubject(null, bound);
  try {
    assertSubject(subject);
  } catch {
    throw new UnauthenticatedError();
  }
  return options.authorizer.forSubject(subject, bound);
}

/** @internal Validates middleware options when the middleware is created. */
export function assertMiddlewareOptions<Req>(
  options: FgacMiddlewareOptions<Req>,
  where: string,
): void {
  if (typeof options !== "object" || options === null) {
    throw new ConfigurationError(`${where}: options { authorizer, subject } are required`);
  }
  if (
    typeof options.authorizer?.forSubject !== "function" ||
    typeof options.authorizer.bypass !== "function"
  ) {
    throw new ConfigurationError(`${where}: "authorizer" must come from createAuthorizer()`);
  }
  if (typeof options.subject !== "function") {
    throw new ConfigurationError(`${where}: "subject" must be a function of the request`);
  }
  if (options.bypass !== undefined && typeof options.bypass !== "function") {
    throw new ConfigurationError(`${where}: "bypass" must be a function of the request`);
  }
  if (options.consistency !== undefined && typeof options.consistency !== "function") {
    throw new ConfigurationError(`${where}: "consistency" must be a function of the request`);
  }
}

/** @internal Validates authorizeParam options when the guard is created. */
export function assertParamOptions<K extends ResourceKind>(
  options: AuthorizeParamOptions<K>,
): void {
  if (typeof options?.param !== "string" || options.param === "") {
    throw new ConfigurationError('authorizeParam: "param" must name a path parameter');
  }
  if (
    typeof options.resource !== "function" ||
    typeof options.resource.notFoundMessage !== "string"
  ) {
    throw new ConfigurationError('authorizeParam: "resource" must be a kind from defineResource()');
  }
  if (typeof options.permission !== "string") {
    throw new ConfigurationError('authorizeParam: "permission" is required');
  }
}

/**
 * @internal The guard every adapter runs: an invalid id answers the kind's 404 without a backend
 * call; otherwise `checkOrNotFound` with the kind's message.
 */
export async function guardParam<K extends ResourceKind>(
  authz: RequestAuthorizer,
  options: AuthorizeParamOptions<K>,
  raw: unknown,
): Promise<void> {
  const kind = options.resource;
  const message = kind.notFoundMessage;
  if (!isValidId(raw)) throw new NotFoundError(message);
  await authz.checkOrNotFound(kind(raw) as never, options.permission as never, {
    message,
    ...(options.collapse ? { collapse: options.collapse } : {}),
  });
}

/** @internal The error thrown when a route reads the authorizer without the middleware. */
export function missingMiddleware(where: string): ConfigurationError {
  return new ConfigurationError(
    `fgac: no authorizer on this request. Install the fgac middleware before ${where}.`,
  );
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

/** Options of `subjectFromHeaders`. */
export interface SubjectFromHeadersOptions {
  /** Header carrying a user id (default `x-user-id`). */
  userHeader?: string;
  /** Header carrying a service-account id (default `x-service-account-id`). */
  serviceAccountHeader?: string;
}

/**
 * @internal Reads the subject from gateway headers. Both set, or an invalid id:
 * `UnauthenticatedError`. Neither: `null`.
 */
export function subjectFromHeaderValues(
  get: (name: string) => string | undefined,
  options: SubjectFromHeadersOptions = {},
): Subject | null {
  const userId = get((options.userHeader ?? "x-user-id").toLowerCase());
  const serviceId = get((options.serviceAccountHeader ?? "x-service-account-id").toLowerCase());
  if (userId !== undefined && serviceId !== undefined) throw new UnauthenticatedError();
  const [type, id] =
    userId !== undefined
      ? ["user", userId]
      : serviceId !== undefined
        ? ["service_account", serviceId]
        : [];
  if (type === undefined) return null;
  if (!isValidId(id)) throw new UnauthenticatedError();
  return { type, id };
}

/**
 * @internal Normalises a Node-style header value. Several values are joined as Hono and fetch
 * do (`"a, b"`), which is never a valid id, so a repeated identity header answers 401.
 */
export function singleHeader(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === "string" || value === undefined ? value : value.join(", ");
}
