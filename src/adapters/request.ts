// The per-request authorizer every adapter installs: the middleware options and their check,
// resolving a request's subject, bypass and consistency, and the error when it is missing.
import * as z from "zod/mini";
import { ConfigurationError, UnauthenticatedError } from "../core/errors.js";
import { fn, parseOptions, withMethods } from "../core/options.js";
import { assertSubject } from "../core/resources.js";
import type { Authorizer, Consistency, RequestAuthorizer, Subject } from "../index.js";

/**
 * Resolves the caller of a request: a subject, `null` (anonymous) or a promise of either.
 *
 * @example
 * ```ts
 * const subject: SubjectResolver<Request> = async (req) => {
 *   const session = await sessions.find(req);
 *   return session ? user(session.userId) : null;
 * };
 * ```
 */
export type SubjectResolver<Req> = (req: Req) => Subject | null | Promise<Subject | null>;

/**
 * Options shared by the `fgac(...)` middleware of every adapter.
 *
 * @example
 * ```ts
 * app.use(fgac({
 *   authorizer,
 *   subject: subjectFromHeaders(),
 *   bypass: (req) => (isInternalJob(req) ? "reconcile job" : undefined),
 * }));
 * ```
 */
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
   * client carries from its last write (a header or cookie your app sets): see
   * `consistencyFromHeader(name)`. Return nothing for the port's default.
   *
   * Only what this function returns is used: a client cannot force `fullyConsistent` (costly)
   * or `minimizeLatency` (stale) unless your function returns it, so never map a client's
   * value to a kind. A token that cannot be one, or one the backend rejects (malformed, from
   * another SpiceDB, truncated), answers 400 `InvalidConsistencyTokenError` with a constant
   * message; a value of the wrong shape is your bug and answers 500. Never an allow.
   */
  consistency?: (req: Req) => Consistency | undefined | null;
}

const middlewareOptionsSchema = z.object(
  {
    authorizer: withMethods<Authorizer>(
      ["forSubject", "bypass"],
      "must come from createAuthorizer()",
    ),
    subject: fn<SubjectResolver<never>>(),
    bypass: z.optional(fn<NonNullable<FgacMiddlewareOptions<never>["bypass"]>>()),
    consistency: z.optional(fn<NonNullable<FgacMiddlewareOptions<never>["consistency"]>>()),
  },
  { error: "options { authorizer, subject } are required" },
);

/**
 * @internal Checks middleware options when the middleware is created.
 * @param where - the factory, named in the error: `fgac/express fgac()`
 * @throws `ConfigurationError` naming the factory and every invalid option
 */
export function assertMiddlewareOptions<Req>(
  options: FgacMiddlewareOptions<Req>,
  where: string,
): void {
  parseOptions(where, middlewareOptionsSchema, options);
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

/** @internal The error thrown when a route reads the authorizer without the middleware. */
export function missingMiddleware(where: string): ConfigurationError {
  return new ConfigurationError(
    `fgac: no authorizer on this request. Install the fgac middleware before ${where}.`,
  );
}
