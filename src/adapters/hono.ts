/**
 * Hono adapter: `fgac()` sets `c.var.fgac`, `authorizeParam()` guards a path parameter,
 * `fgacErrorHandler()` is an `app.onError` handler and `fgacNotFoundHandler()` an `app.notFound`
 * handler. Glue only; runs on any runtime Hono runs on.
 *
 * ```ts
 * import {
 *   authorizeParam, type FgacEnv, fgac, fgacErrorHandler, fgacNotFoundHandler, subjectFromHeaders,
 * } from "fgac/hono";
 *
 * const app = new Hono<FgacEnv>();
 * app.use(fgac({ authorizer, subject: subjectFromHeaders() }));
 * app.onError(fgacErrorHandler());
 * app.notFound(fgacNotFoundHandler());
 * const canRead = authorizeParam({ param: "id", resource: document, permission: "read" });
 * app.get("/documents/:id", canRead, handler);
 * app.get("/documents", async (c) => {
 *   const ids = await c.var.fgac.authorizedIds(document, "read"); // typed by FgacEnv
 *   return c.json(await withAuthorizedIds(ids, (ids) => db.documents(ids)));
 * });
 * ```
 *
 * Guide: [Hono](../../docs/hono.md).
 *
 * @module fgac/hono
 */
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import type { Consistency, RequestAuthorizer, ResourceKind, Subject } from "../index.js";
import { consistencyFromHeaderValue, headerNameOption } from "./consistency-header.js";
import {
  type ErrorHandlerOptions,
  errorResponseFor,
  type NotFoundHandlerOptions,
  notFoundResponse,
} from "./error-handler.js";
import { type SubjectFromHeadersOptions, subjectFromHeaderValues } from "./headers.js";
import { type AuthorizeParamOptions, assertParamOptions, guardParam } from "./param-guard.js";
import {
  assertMiddlewareOptions,
  type FgacMiddlewareOptions,
  missingMiddleware,
  resolveRequestAuthorizer,
} from "./request.js";

export type { ErrorHandlerOptions, NotFoundHandlerOptions } from "./error-handler.js";
export type { SubjectFromHeadersOptions } from "./headers.js";
export type { AuthorizeParamOptions } from "./param-guard.js";
export type { FgacMiddlewareOptions, SubjectResolver } from "./request.js";

/**
 * The Hono environment the middleware provides: `c.var.fgac`.
 *
 * @example
 * ```ts
 * const app = new Hono<FgacEnv>();
 * app.get("/whoami", (c) => c.json({ authenticated: c.var.fgac.authenticated }));
 * ```
 */
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
 *
 * @throws `ConfigurationError` when the `fgac()` middleware did not run for this route
 * @example
 * ```ts
 * app.get("/agent_api_keys", async (c) => {
 *   const ids = await getFgac(c).authorizedIds(apiKey);
 *   return c.json(await withAuthorizedIds(ids, (ids) => db.listApiKeys(ids)));
 * });
 * ```
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
  assertParamOptions(options, "fgac/hono authorizeParam()");
  return async (c, next) => {
    await guardParam(getFgac(c), options, c.req.param(options.param));
    await next();
  };
}

/**
 * An `app.onError` handler with the library's mapping: same status, content-type and body
 * bytes as the Express and Fastify adapters. Hono's own client errors (an `HTTPException` with
 * a 4xx status, e.g. from `validator` on bad JSON, or thrown from `bodyLimit`'s `onError`) keep
 * their status with a constant message; the exception's message and response are not used.
 *
 * @example
 * ```ts
 * app.onError(fgacErrorHandler({ logger }));
 * ```
 */
export function fgacErrorHandler(options: ErrorHandlerOptions = {}): ErrorHandler {
  return (error) => {
    const { status, headers, body } = errorResponseFor(error, options);
    return new Response(body, { status, headers });
  };
}

/**
 * An `app.notFound` handler: fgac's 404 (`{"message":"Not found.","code":404,"data":null}`,
 * the error handler's headers) instead of Hono's plain-text "404 Not Found", so unmatched
 * routes answer in the same shape and bytes as on Express and Fastify.
 *
 * @param options - `body` to reshape the body, as for `fgacErrorHandler`
 * @returns a handler for `app.notFound`
 * @example
 * ```ts
 * app.notFound(fgacNotFoundHandler());
 * app.onError(fgacErrorHandler());
 * ```
 */
export function fgacNotFoundHandler(options: NotFoundHandlerOptions = {}): NotFoundHandler {
  const { status, headers, body } = notFoundResponse(options);
  return () => new Response(body, { status, headers });
}

/**
 * Reads the request's consistency from a header a client sends back (e.g. the ZedToken your
 * app returned from its last write): present, `atLeastAsFresh` that token; absent, the port's
 * default. The client can only ever name a token, never `fullyConsistent` or
 * `minimizeLatency`; a malformed, foreign or truncated token answers 400
 * (`InvalidConsistencyTokenError`, constant body), never an allow.
 *
 * @param name - the header, e.g. `"x-zed-token"`
 * @returns a resolver for `fgac({ consistency })`
 * @throws `ConfigurationError` for a name that is not a header name, when called
 * @example
 * ```ts
 * app.use(fgac({ authorizer, subject, consistency: consistencyFromHeader("x-zed-token") }));
 * ```
 */
export function consistencyFromHeader(name: string): (c: Context) => Consistency | undefined {
  const header = headerNameOption(name, "fgac/hono consistencyFromHeader()");
  return (c) => consistencyFromHeaderValue(c.req.header(header));
}

/**
 * Reads the subject from `x-user-id` or `x-service-account-id`. Only safe behind a trusted
 * gateway that sets these headers and strips them from client requests. Both headers or an
 * invalid id: 401. Neither: anonymous (`null`).
 *
 * @example
 * ```ts
 * app.use(fgac({ authorizer, subject: subjectFromHeaders({ userHeader: "x-auth-user" }) }));
 * ```
 */
export function subjectFromHeaders(
  options: SubjectFromHeadersOptions = {},
): (c: Context) => Subject | null {
  return (c) => subjectFromHeaderValues((name) => c.req.header(name), options);
}
