/**
 * Fastify adapter (Fastify 5 and 4): `fgacPlugin` decorates `request.fgac`, installs the error
 * handler and the not-found handler, and `authorizeParam()` is a `preHandler`. Glue only.
 *
 * ```ts
 * import {
 *   authorizeParam, fgacErrorHandler, fgacPlugin, getFgac, subjectFromHeaders,
 * } from "fgac/fastify";
 *
 * const app = Fastify({
 *   routerOptions: { maxParamLength: 1024 }, // Fastify 4: { maxParamLength: 1024 }
 *   frameworkErrors: fgacErrorHandler(),
 * });
 * await app.register(fgacPlugin, { authorizer, subject: subjectFromHeaders() });
 * const canRead = authorizeParam({ param: "id", resource: document, permission: "read" });
 * app.get("/documents/:id", { preHandler: canRead }, handler);
 * app.get("/documents", async (request) => {
 *   const ids = await getFgac(request).authorizedIds(document, "read");
 *   return withAuthorizedIds(ids, (ids) => db.documents(ids));
 * });
 * ```
 *
 * Guide: [Fastify](../../docs/fastify.md).
 *
 * Errors Fastify raises before routing (a malformed percent-encoding, a parameter over
 * `maxParamLength`) only reach an error handler given as the app's `frameworkErrors` option;
 * without it Fastify's own answer quotes the URL. Create the app with
 * `Fastify({ frameworkErrors: fgacErrorHandler(), ... })`.
 *
 * Fastify answers path parameters longer than `maxParamLength` (default 100) itself (414),
 * before any plugin runs. Ids may be 1024 characters: create the app with at least
 * `Fastify({ routerOptions: { maxParamLength: 1024 } })`; the plugin warns when it is lower. To
 * answer even longer (invalid) ids with the same 404 as absent ones, use Node's header limit
 * (`16 * 1024`), which bounds the URL anyway.
 *
 * @module fgac/fastify
 */
import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from "fastify";
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

declare module "fastify" {
  interface FastifyRequest {
    /** The request's authorizer, set by `fgacPlugin` (null only before its hook ran). */
    fgac: RequestAuthorizer | null;
  }
}

/**
 * Options of {@link fgacPlugin}.
 *
 * @example
 * ```ts
 * await app.register(fgacPlugin, {
 *   authorizer,
 *   subject: subjectFromHeaders(),
 *   errorHandler: { logger: app.log },
 * } satisfies FgacPluginOptions);
 * ```
 */
export interface FgacPluginOptions extends FgacMiddlewareOptions<FastifyRequest> {
  /** Options of the error handler the plugin installs (`false`: install none). */
  errorHandler?: ErrorHandlerOptions | false;
  /**
   * Options of the not-found handler the plugin installs with `setNotFoundHandler`
   * (`false`: install none, to keep one the app sets itself; Fastify allows one per prefix).
   */
  notFound?: NotFoundHandlerOptions | false;
  /**
   * Where the low-`maxParamLength` warning goes (default: `fastify.log` and
   * `process.emitWarning`, so it shows with Fastify's logger off).
   */
  warn?: (message: string) => void;
}

/**
 * Path ids may be this long (SpiceDB's limit); Fastify's default is 100.
 *
 * @example
 * ```ts
 * const app = Fastify({ routerOptions: { maxParamLength: REQUIRED_MAX_PARAM_LENGTH } });
 * ```
 */
export const REQUIRED_MAX_PARAM_LENGTH = 1024;

function maxParamLengthOf(fastify: FastifyInstance): number {
  const config = fastify.initialConfig as {
    maxParamLength?: number;
    routerOptions?: { maxParamLength?: number };
  };
  return Math.max(config.routerOptions?.maxParamLength ?? 0, config.maxParamLength ?? 0) || 100;
}

/** Fastify's logger and a process warning: Fastify's logger is off unless the app enables it. */
function defaultWarn(fastify: FastifyInstance): (message: string) => void {
  return (message) => {
    fastify.log.warn(message);
    process.emitWarning(message, { code: "FGAC_MAX_PARAM_LENGTH" });
  };
}

const plugin: FastifyPluginAsync<FgacPluginOptions> = async (fastify, options) => {
  assertMiddlewareOptions(options, "fgac/fastify fgacPlugin");
  const max = maxParamLengthOf(fastify);
  if (max < REQUIRED_MAX_PARAM_LENGTH) {
    const message = `fgac: maxParamLength is ${max}; ids up to ${REQUIRED_MAX_PARAM_LENGTH} characters will be answered by Fastify itself (not with fgac's 404). Create the app with { routerOptions: { maxParamLength: ${REQUIRED_MAX_PARAM_LENGTH} } }.`;
    (options.warn ?? defaultWarn(fastify))(message);
  }
  fastify.decorateRequest("fgac", null);
  fastify.addHook("onRequest", async (request) => {
    request.fgac = await resolveRequestAuthorizer(options, request);
  });
  if (options.errorHandler !== false) {
    fastify.setErrorHandler(fgacErrorHandler(options.errorHandler ?? {}));
  }
  if (options.notFound !== false) {
    fastify.setNotFoundHandler(fgacNotFoundHandler(options.notFound ?? {}));
  }
};

/**
 * The Fastify plugin. It applies to the whole app, not only to its own encapsulated context:
 * it carries the marks `fastify-plugin` would set (`skip-override`, the display name and the
 * `plugin-meta` name `"fgac"` that other plugins may list in `dependencies`), so fgac needs no
 * `fastify-plugin` install; Fastify 4 and 5 read the same symbols.
 *
 * @example
 * ```ts
 * const app = Fastify({ maxParamLength: 1024 }); // Fastify 5: { routerOptions: { maxParamLength: 1024 } }
 * await app.register(fgacPlugin, { authorizer, subject: subjectFromHeaders() });
 * ```
 */
export const fgacPlugin: FastifyPluginAsync<FgacPluginOptions> = Object.assign(plugin, {
  [Symbol.for("skip-override")]: true,
  [Symbol.for("fastify.display-name")]: "fgac",
  [Symbol.for("plugin-meta")]: { name: "fgac", fastify: ">=4.0.0" },
});

/**
 * The request's authorizer.
 *
 * @throws `ConfigurationError` when `fgacPlugin` is not registered for this route
 * @example
 * ```ts
 * app.get("/agent_api_keys", async (request) => {
 *   const ids = await getFgac(request).authorizedIds(apiKey);
 *   return withAuthorizedIds(ids, (ids) => db.listApiKeys(ids));
 * });
 * ```
 */
export function getFgac(request: FastifyRequest): RequestAuthorizer {
  if (!request.fgac) throw missingMiddleware("this route (app.register(fgacPlugin, ...))");
  return request.fgac;
}

/**
 * Guards a path parameter, as a `preHandler`: an invalid id answers the kind's 404 without a
 * backend call; a denial answers what the collapse policy says.
 *
 * @example
 * ```ts
 * app.get("/agent_api_keys/:id", { preHandler: authorizeParam({ param: "id", resource: apiKey, permission: "read" }) }, handler);
 * ```
 */
export function authorizeParam<K extends ResourceKind>(
  options: AuthorizeParamOptions<K>,
): preHandlerAsyncHookHandler {
  assertParamOptions(options, "fgac/fastify authorizeParam()");
  return async function fgacAuthorizeParam(request: FastifyRequest) {
    const params = (request.params ?? {}) as Record<string, unknown>;
    await guardParam(getFgac(request), options, params[options.param]);
  };
}

/**
 * The error handler `fgacPlugin` installs; exported to install it in an encapsulated context,
 * and as Fastify's `frameworkErrors` option so that errors Fastify raises before routing (a
 * malformed URL) are answered in the same shape instead of echoing the URL.
 *
 * @example
 * ```ts
 * const app = Fastify({ frameworkErrors: fgacErrorHandler(), routerOptions: { maxParamLength: 1024 } });
 * ```
 */
export function fgacErrorHandler(
  options: ErrorHandlerOptions = {},
): (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (error, _request, reply) => {
    const { status, headers, body } = errorResponseFor(error, options);
    return reply.code(status).headers(headers).send(body);
  };
}

/**
 * Answers a request no route matched with fgac's 404 (`{"message":"Not found.","code":404,
 * "data":null}`, the error handler's headers) instead of Fastify's "Route GET:/path not found",
 * which echoes the method and path. `fgacPlugin` installs it (option `notFound`); exported for
 * an encapsulated context with its own prefix, or to install it yourself after `notFound: false`.
 *
 * @param options - `body` to reshape the body, as for `fgacErrorHandler`
 * @returns a handler for `setNotFoundHandler`
 * @example
 * ```ts
 * await app.register(async (api) => {
 *   api.setNotFoundHandler(fgacNotFoundHandler());
 *   api.get("/keys/:id", handler);
 * }, { prefix: "/v2" });
 * ```
 */
export function fgacNotFoundHandler(
  options: NotFoundHandlerOptions = {},
): (request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  const { status, headers, body } = notFoundResponse(options);
  return (_request, reply) => reply.code(status).headers(headers).send(body);
}

/**
 * Reads the request's consistency from a header a client sends back (e.g. the ZedToken your
 * app returned from its last write): present, `atLeastAsFresh` that token; absent, the port's
 * default. The client can only ever name a token, never `fullyConsistent` or
 * `minimizeLatency`; a malformed, foreign or truncated token answers 400
 * (`InvalidConsistencyTokenError`, constant body), never an allow.
 *
 * @param name - the header, e.g. `"x-zed-token"`
 * @returns a resolver for the plugin's `consistency` option
 * @throws `ConfigurationError` for a name that is not a header name, when called
 * @example
 * ```ts
 * await app.register(fgacPlugin, {
 *   authorizer,
 *   subject: subjectFromHeaders(),
 *   consistency: consistencyFromHeader("x-zed-token"),
 * });
 * ```
 */
export function consistencyFromHeader(
  name: string,
): (request: FastifyRequest) => Consistency | undefined {
  const header = headerNameOption(name, "fgac/fastify consistencyFromHeader()");
  return (request) => consistencyFromHeaderValue(singleHeader(request.headers[header]));
}

/**
 * Reads the subject from `x-user-id` or `x-service-account-id`. Only safe behind a trusted
 * gateway that sets these headers and strips them from client requests. Both headers, several
 * values or an invalid id: 401. Neither: anonymous (`null`).
 *
 * @example
 * ```ts
 * await app.register(fgacPlugin, { authorizer, subject: subjectFromHeaders() });
 * ```
 */
export function subjectFromHeaders(
  options: SubjectFromHeadersOptions = {},
): (request: FastifyRequest) => Subject | null {
  return (request) =>
    subjectFromHeaderValues((name) => singleHeader(request.headers[name]), options);
}
