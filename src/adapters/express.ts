/**
 * Express adapter (Express 4 and 5): `fgac()` hangs a {@link RequestAuthorizer} on `req.fgac`,
 * `authorizeParam()` guards a path parameter, `fgacErrorHandler()` answers errors with
 * `toErrorResponse`. Glue only: every decision is made by the core.
 *
 * @module fgac/express
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import type { RequestAuthorizer, ResourceKind, Subject } from "../index.js";
import { type ErrorHandlerOptions, errorResponseFor } from "./error-handler.js";
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

export type { ErrorHandlerOptions } from "./error-handler.js";
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

/**
 * Answers every error with the library's mapping: same status, content-type and body bytes as
 * the Fastify and Hono adapters. Install it after your routes.
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
    const { status, headers, body } = errorResponseFor(error, options);
    res.status(status);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.end(body);
  };
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
