// createAuthorizer: the policy layer over a port (deadlines, fail-closed answers, collapse to
// 404, subject-free logging), handing out one RequestAuthorizer per caller, or a bypass.

import * as z from "zod/mini";
import type { CollapsePolicy } from "./collapse.js";
import { cursorSeal, MIN_CURSOR_KEY } from "./cursor.js";
import { ConfigurationError, InvalidConsistencyTokenError } from "./errors.js";
import {
  DEFAULT_LIMITS,
  DEFAULT_RETRY,
  GuardedPort,
  type Limits,
  type RetryOptions,
} from "./guarded-port.js";
import { LOGGER_METHODS, type Logger, silentLogger } from "./logger.js";
import { parseOptions, withMethods } from "./options.js";
import { type AuthorizationPort, type Consistency, consistencySchema } from "./port.js";
import { CallerAuthorizer, type RequestAuthorizer } from "./request-authorizer.js";
import { assertSubject, type Subject } from "./resources.js";
import { globalTelemetry } from "./telemetry.js";
import {
  DenialTiming,
  type TimingOptions,
  type TimingStats,
  timingOptionsSchema,
} from "./timing.js";

/**
 * Options of {@link createAuthorizer}.
 *
 * @example
 * ```ts
 * const options: AuthorizerOptions = { port, timeoutMs: 1000, collapse: "always", retry: false };
 * const authorizer = createAuthorizer(options);
 * ```
 */
export interface AuthorizerOptions {
  /** The backend. */
  port: AuthorizationPort;
  /** Pino-shaped logger for decisions and writes; never receives the subject. */
  logger?: Logger;
  /** Deadline of every port call in ms (default 2000); past it: `AuthorizationUnavailableError`. */
  timeoutMs?: number;
  /** Default collapse policy (default `"unless-readable"`). */
  collapse?: CollapsePolicy;
  /**
   * Level of the per-decision entries (checks and lookups of a bound or anonymous subject),
   * default `"info"`. `"debug"` quiets them on a busy service. Writes and bypasses stay at
   * `info` and `warn`, and failures at `error`, whatever this says.
   */
  decisionLogLevel?: "info" | "debug";
  /**
   * Retries of checks, bulk checks and lookups on a transient backend failure (unavailable,
   * connection reset), with jittered exponential backoff, always inside `timeoutMs`; each retry
   * is logged at `warn`. Writes are never retried. Default `{ attempts: 2, baseDelayMs: 20 }`;
   * `false` turns retries off.
   */
  retry?: RetryOptions | false;
  /**
   * Bounds on one call's work (defaults: `canMany` 10 000 resources, a lookup 100 000 ids).
   * A larger `canMany` is refused with `ConfigurationError` before the backend is asked; a
   * lookup answering more ids fails with `ConfigurationError` (scope it by parent or page it).
   */
  limits?: Limits;
  /**
   * The floor under collapsed denials, so that a hidden resource's 404 takes as long as an
   * absent one's (on by default): every 404 of `checkOrNotFound`, `authorizeParam` and
   * `findOrNotFound`, and the `[]` of a scoped list whose parent is hidden, completes no sooner
   * than `percentile` (0.99) of the recent decision latencies of the same kind and permission,
   * adding at most `maxDelayMs` (100). Allowed requests never wait. `false` turns it off.
   * {@link Authorizer.timingStats} reports what it costs.
   */
  timing?: TimingOptions | false;
  /**
   * The key that seals `authz.page` cursors (at least 32 bytes, or a passphrase of at least 32
   * characters). A page's `next` is the position it stopped at, often a row the caller may not
   * read: it goes out encrypted and authenticated (AES-GCM), bound to the resource type and
   * permission, and any other `after` is refused with `InvalidIdentifierError` (400). Without
   * it, a random key per authorizer: cursors then work only within this process, so give every
   * instance of a service the same key (from a secret), or a client's `next` fails on another.
   */
  cursorKey?: string | Uint8Array;
}

/**
 * Options of {@link Authorizer.forSubject}.
 *
 * @example
 * ```ts
 * const options: ForSubjectOptions = { consistency: { kind: "fullyConsistent" } };
 * const authz = authorizer.forSubject(user("alice"), options);
 * ```
 */
export interface ForSubjectOptions {
  /** Consistency of every check and lookup (default: the port's own default). */
  consistency?: Consistency;
}

/**
 * Builds per-request authorizers over one port.
 *
 * @example
 * ```ts
 * const authorizer: Authorizer = createAuthorizer({ port });
 * const authz = authorizer.forSubject(user("alice"));
 * await authz.check(agent("a1"), "read");
 * ```
 */
export interface Authorizer {
  /** The port behind this authorizer. */
  readonly port: AuthorizationPort;
  /**
   * Binds a subject. `null` (no caller): checks deny, lookups are `[]`, writes throw
   * `UnauthenticatedError`. `options.consistency` applies to every check and lookup of
   * the returned authorizer, e.g. `atLeastAsFresh` a token kept from an earlier write (so a
   * revocation made elsewhere is seen), or `fullyConsistent`.
   * @throws {@link ConfigurationError} for a consistency of the wrong shape
   * @throws {@link InvalidConsistencyTokenError} for an `atLeastAsFresh` token that cannot be one
   *   (empty, too long, characters no token has): usually a client's, so a 400
   * @example
   * ```ts
   * const authz = authorizer.forSubject(user(id), {
   *   consistency: { kind: "atLeastAsFresh", token: row.authz_token },
   * });
   * ```
   */
  forSubject(subject: Subject | null, options?: ForSubjectOptions): RequestAuthorizer;
  /**
   * For trusted internal callers: checks allow, lookups are unscoped, writes are skipped.
   * Every use is logged with `reason`.
   * @throws {@link ConfigurationError} when `reason` is empty
   * @example
   * ```ts
   * const authz = authorizer.bypass("nightly reindex job");
   * ```
   */
  bypass(reason: string): RequestAuthorizer;
  /**
   * The denial timing floor per kind and permission: latencies kept, the floor, and the time
   * added to collapsed denials (median, most, total). Empty with `timing: false`.
   * @example
   * ```ts
   * for (const s of authorizer.timingStats())
   *   metrics.gauge("fgac_denial_added_ms", s.medianAddedMs, { type: s.resourceType });
   * ```
   */
  timingStats(): TimingStats[];
}

const PORT_METHODS = ["check", "checkMany", "lookup", "grant", "revoke", "register", "deregister"];

const optionsSchema = z.object({
  port: withMethods<AuthorizationPort>(
    PORT_METHODS,
    "must implement check, checkMany, lookup, grant, revoke, register and deregister",
  ),
  logger: z.optional(withMethods<Logger>(LOGGER_METHODS, "must have info, warn, error and debug")),
  timeoutMs: z.optional(z.number().check(z.int(), z.positive(), z.lte(600_000))),
  cursorKey: z.optional(
    z.custom<string | Uint8Array>(
      (value) =>
        (typeof value === "string" || value instanceof Uint8Array) &&
        value.length >= MIN_CURSOR_KEY,
      `must be at least ${MIN_CURSOR_KEY} characters or bytes`,
    ),
  ),
  collapse: z.optional(z.enum(["always", "unless-readable"])),
  decisionLogLevel: z.optional(z.enum(["info", "debug"])),
  retry: z.optional(
    z.union([
      z.literal(false),
      z.object({
        attempts: z.optional(z.number().check(z.int(), z.gte(0), z.lte(10))),
        baseDelayMs: z.optional(z.number().check(z.int(), z.gte(0), z.lte(10_000))),
      }),
    ]),
  ),
  timing: z.optional(timingOptionsSchema),
  limits: z.optional(
    z.object({
      checkMany: z.optional(z.number().check(z.int(), z.positive())),
      lookupIds: z.optional(z.number().check(z.int(), z.positive())),
    }),
  ),
});

const DEFAULT_TIMEOUT_MS = 2000;

/**
 * A consistency of the wrong shape is the application's bug (500); a token of the right kind
 * that cannot be one usually came from a client (a header), so it is the client's (400).
 */
function assertConsistency(consistency: Consistency): void {
  if (consistencySchema.safeParse(consistency).success) return;
  const c = consistency as { kind?: unknown; token?: unknown } | null;
  if (c?.kind === "atLeastAsFresh" && (typeof c.token === "string" || c.token === undefined)) {
    throw new InvalidConsistencyTokenError();
  }
  throw new ConfigurationError("forSubject: invalid consistency");
}

/**
 * Creates the authorizer: the policy layer over a port (deadlines, fail-closed answers,
 * collapse to 404, subject-free logging).
 *
 * @param options - `port`, and optionally `logger`, `timeoutMs` (default 2000), `collapse`,
 *   `decisionLogLevel`, `retry`, `limits` and `timing` (the floor under collapsed denials)
 * @returns an {@link Authorizer}
 * @throws {@link ConfigurationError} for invalid options (at call time, not on first request)
 * @example
 * ```ts
 * const authorizer = createAuthorizer({ port, logger: pino() });
 * const authz = authorizer.forSubject(user("alice"));
 * await authz.checkOrNotFound(apiKey(id), "read");
 * ```
 */
export function createAuthorizer(options: AuthorizerOptions): Authorizer {
  parseOptions("createAuthorizer", optionsSchema, options);
  const { port } = options;
  const logger = options.logger ?? silentLogger;
  const telemetry = globalTelemetry();
  const timing =
    options.timing === false ? undefined : new DenialTiming(options.timing ?? {}, logger);
  const context = {
    telemetry,
    timing,
    port: new GuardedPort(port, {
      logger,
      telemetry,
      backend: typeof port.backend === "string" ? port.backend : "custom",
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: options.retry === false ? false : { ...DEFAULT_RETRY, ...options.retry },
      limits: { ...DEFAULT_LIMITS, ...options.limits },
    }),
    logger,
    defaultCollapse: options.collapse ?? "unless-readable",
    decisionLogLevel: options.decisionLogLevel ?? "info",
    pageCosts: new Map(),
    cursors: cursorSeal(options.cursorKey),
  } as const;

  return {
    port,
    timingStats: () => timing?.stats() ?? [],
    forSubject(subject, subjectOptions = {}) {
      if (subject !== null) assertSubject(subject);
      const { consistency } = subjectOptions;
      if (consistency !== undefined) assertConsistency(consistency);
      const caller =
        subject === null ? { kind: "anonymous" as const } : { kind: "subject" as const, subject };
      return new CallerAuthorizer(context, caller, consistency);
    },
    bypass(reason) {
      if (typeof reason !== "string" || reason.trim() === "") {
        throw new ConfigurationError("bypass(reason): a non-empty reason is required");
      }
      logger.warn({ fgac: "bypass", reason }, "fgac: authorization bypassed");
      return new CallerAuthorizer(context, { kind: "bypass", reason });
    },
  };
}
