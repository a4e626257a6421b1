/**
 * Hono adapter: `fgac()` sets `c.var.fgac`, `authorizeParam()` guards a path parameter,
 * `fgacErrorHandler()` is an `app.onError` handler. Glue only; runs on any runtime Hono runs on.
 *
 * @module fgac/hono
 */
import type { Context, ErrorHandler, MiddlewareHandler } from "hono";
import {
  type AuthorizeParamOptions,
  assertMiddlewareOptions,
  assertParamOptions,
  type ErrorHandlerOptions,
  errorResponseFor,
  type FgacMiddlewareOptions,
  guardParam,
  missingMiddleware,
  resolveRequestAuthorizer,
  type SubjectFromHeadersOptions,
  subjectFromHeaderValues,
} from "./adapters/shared.js";
import type { RequestAuthorizer } from "./core/authorizer.js";
import type { ResourceKind, Subject } from "./core/resources.js";

export type {
  AuthorizeParamOptions,
  ErrorHandlerOptions,
  FgacMiddlewareOptions,
  SubjectFromHeadersOptions,
  SubjectResolver,
} from "./adapters/shared.js";

/** The Hono environment the middleware provides: `c.var.fgac`. */
export type FgacEnv = { Variables: { fgac: RequestAuthorizer } };

/**
 * Installs the per-request authorizer on `c.var.fgac`.
 *
 * @example
 * ```ts
 * const app = new Hono<FgacEnv>();
 * app.use(fgac({ authorizer, subject: subjectFromHeaders() }));
 * app.onError(fgacErrorHandler());
 * ```
 */
export function fgac(options: FgacMiddlewareOptions<Context>): MiddlewareHandler<FgacEnv> {
  assertMiddlewareOptions(options, "fgac/hono fgac()");
  return async (c, next) => {
    c.set("fgac", await resolveRequestAuthorizer(options, c));
    await next();
  };
}

/**
 * The request's authorizer.
 * @throws `ConfigurationError` when the `fgac()` middleware did not run for this route
 */
export function getFgac(c: Context): RequestAuthorizer {
  const authz = c.get("fgac") as RequestAuthorizer | undefined;
  if (!authz) throw missingMiddleware("this route (app.use(fgac(...)))");
  return authz;
}

/**
 * Guards a path parameter: an invalid id answers the kind's 404 without a backend call; a
 * denial answers what the collapse policy says.
 *
 * @example
 * ```ts
 * app.get("/agent_api_keys/:id", authorizeParam({ param: "id", resource: apiKey, permission: "read" }), handler);
 * ```
 */
export function authorizeParam<K extends ResourceKind>(
  options: AuthorizeParamOptions<K>,
): MiddlewareHandler<FgacEnv> {
  assertParamOptions(options);
  return async (c, next) => {
    await guardParam(getFgac(c), options, c.req.param(options.param));
    await next();
  };
}

/**
 * An `app.onError` handler with the library's mapping: same status, content-type and body
 * bytes as the Express and Fastify adapters.
 */
export function fgacErrorHandler(options: ErrorHandlerOptions = {}): ErrorHandler {
  return (error) => {
    const { status, headers, body } = errorResponseFor(error, options);
    return new Response(body, { status, headers });
  };
}

/**
 * Reads the subject from `x-user-id` or `x-service-account-id`. Only safe behind a trusted
 * gateway that sets these headers and strips them from client requests. Both headers or an
 * invalid id: 401. Neither: anonymous (`null`).
 */
export function subjectFromHeaders(
  options: SubjectFromHeadersOptions = {},
): (c: Context) => Subject | null {
  return (c) => subjectFromHeaderValues((name) => c.req.header(name), options);
}
