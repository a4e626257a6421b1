/**
 * Express adapter (Express 4 and 5): `fgac()` hangs a {@link RequestAuthorizer} on `req.fgac`,
 * `authorizeParam()` guards a path parameter, `fgacErrorHandler()` answers errors with
 * `toErrorResponse` and `fgacNotFoundHandler()` answers unmatched routes in the same shape.
 * Glue only: every decision is made by the core.
 *
 * ```ts
 * import {
 *   authorizeParam, fgac, fgacErrorHandler, fgacNotFoundHandler, getFgac, subjectFromHeaders,
 * } from "fgac/express";
 *
 * app.use(fgac({ authorizer, subject: subjectFromHeaders() }));
 * const canRead = authorizeParam({ param: "id", resource: document, permission: "read" });
 * app.get("/documents/:id", canRead, handler); // 404 when hidden or absent, alike
 * app.get("/documents", async (req, res) => {
 *   const ids = await getFgac(req).authorizedIds(document, "read");
 *   res.json(await withAuthorizedIds(ids, (ids) => db.documents(ids)));
 * });
 * app.use(fgacNotFoundHandler()); // after every route
 * app.use(fgacErrorHandler());
 * ```
 *
 * Guide: [Express](../../docs/express.md).
 *
 * @module fgac/express
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import type { Consistency, RequestAuthorizer, ResourceKind, Subject } from "../index.js";
import { consistencyFromHeaderValue, headerNameOption } from "./consistency-header.js";
import {
  type ErrorHandlerOptions,
  errorResponseFor,
  type NotFoundHandlerOptions,
  notFoundResponse,
} from "./error-handler.js";
import {
  type SubjectFromHeadersOptions,
  singleHeader,
  subjectFromHeaderValues,
} from "./headers.js";
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

declare global {
  namespace Express {
    interface Request {
      /** The request's authorizer, set by the `fgac()` middleware of `fgac/express`. */
      fgac?: RequestAuthorizer;
    }
  }
}

/**
 * Installs the per-request authorizer on `req.fgac`.
 *
 * @param options - `authorizer`, `subject(req)`, optional `bypass(req)`
 * @returns Express middleware (errors go to `next`, so Express 4 handles async failures too)
 * @throws `ConfigurationError` for invalid options, when called
 * @example
 * ```ts
 * app.use(fgac({ authorizer, subject: subjectFromHeaders() }));
 * ```
 */
export function fgac(options: FgacMiddlewareOptions<Request>): RequestHandler {
  assertMiddlewareOptions(options, "fgac/express fgac()");
  return (req: Request, _res: Response, next: NextFunction) => {
    resolveRequestAuthorizer(options, req).then(
      (authz) => {
        req.fgac = authz;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

/**
 * The request's authorizer.
 *
 * @throws `ConfigurationError` when the `fgac()` middleware did not run for this route
 * @example
 * ```ts
 * app.get("/agent_api_keys", async (req, res) => {
 *   const ids = await getFgac(req).authorizedIds(apiKey);
 *   res.json(await withAuthorizedIds(ids, (ids) => db.listApiKeys(ids)));
 * });
 * ```
 */
export function getFgac(req: Request): RequestAuthorizer {
  if (!req.fgac) throw missingMiddleware("this route (app.use(fgac(...)))");
  return req.fgac;
}

/**
 * Guards a path parameter: an invalid id answers the kind's 404 without a backend call; a
 * denial answers what the collapse policy says (404 with the kind's message, or 403).
 *
 * @param options - `param`, `resource` (a kind), `permission`, optional `collapse`
 * @returns Express middleware
 * @example
 * ```ts
 * app.get("/agent_api_keys/:id", authorizeParam({ param: "id", resource: apiKey, permission: "read" }), handler);
 * ```
 */
export function authorizeParam<K extends ResourceKind>(
  options: AuthorizeParamOptions<K>,
): RequestHandler {
  assertParamOptions(options, "fgac/express authorizeParam()");
  return (req: Request, _res: Response, next: NextFunction) => {
    Promise.resolve()
      .then(() => guardParam(getFgac(req), options, req.params[options.param]))
      .then(() => next(), next);
  };
}

function send(
  res: Response,
  answer: { status: number; headers: Record<string, string>; body: string },
) {
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.end(answer.body);
}

/**
 * Answers every error with the library's mapping: same status, content-type and body bytes as
 * the Fastify and Hono adapters. Install it after your routes. Express's own client errors
 * (a path parameter with a malformed percent-encoding, and `express.json()`'s bad JSON, body too
 * large, unsupported charset or encoding) keep their 4xx status with a constant message.
 *
 * @param options - `body` to reshape the body, `logger` for unexpected errors
 * @returns an Express error handler
 * @example
 * ```ts
 * app.use(fgacErrorHandler());
 * ```
 */
export function fgacErrorHandler(options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    send(res, errorResponseFor(error, options));
  };
}

/**
 * Answers a request no route matched with fgac's 404 (`{"message":"Not found.","code":404,
 * "data":null}`, the error handler's headers) instead of Express's "Cannot GET /path" page,
 * which echoes the path. The same bytes for every method and path.
 *
 * Install it with `app.use(...)` after every route, on either side of `fgacErrorHandler()`:
 * Express skips it while an error is being handled and skips the error handler when there is
 * none. Installed this way it also answers `OPTIONS` on your routes, which Express would
 * otherwise answer itself with their methods.
 *
 * @param options - `body` to reshape the body, as for `fgacErrorHandler`
 * @returns Express middleware
 * @example
 * ```ts
 * app.get("/agent_api_keys/:id", handler);
 * app.use(fgacNotFoundHandler());
 * app.use(fgacErrorHandler());
 * ```
 */
export function fgacNotFoundHandler(options: NotFoundHandlerOptions = {}): RequestHandler {
  const answer = notFoundResponse(options);
  return (_req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next();
      return;
    }
    send(res, answer);
  };
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
export function consistencyFromHeader(name: string): (req: Request) => Consistency | undefined {
  const header = headerNameOption(name, "fgac/express consistencyFromHeader()");
  return (req) => consistencyFromHeaderValue(singleHeader(req.headers[header]));
}

/**
 * Reads the subject from `x-user-id` or `x-service-account-id`. Only safe behind a trusted
 * gateway that sets these headers and strips them from client requests. Both headers, several
 * values or an invalid id: 401. Neither: anonymous (`null`).
 *
 * @param options - header names
 * @returns a subject resolver for `fgac({ subject })`
 * @example
 * ```ts
 * app.use(fgac({ authorizer, subject: subjectFromHeaders({ userHeader: "x-auth-user" }) }));
 * ```
 */
export function subjectFromHeaders(
  options: SubjectFromHeadersOptions = {},
): (req: Request) => Subject | null {
  return (req) => subjectFromHeaderValues((name) => singleHeader(req.headers[name]), options);
}
