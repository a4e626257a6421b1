// The guarded port: every port call the authorizer makes runs here, under the deadline (which
// also aborts the call's work), retried on transient failures when it is a read, through the
// error filter (fail closed), with its answer validated before anyone reads it.
import {
  AuthorizationUnavailableError,
  ConfigurationError,
  type FgacErrorCode,
  hasFgacCode,
} from "./errors.js";
import type { Logger } from "./logger.js";
import type {
  AuthorizationPort,
  CallOptions,
  CheckRequest,
  LookupRequest,
  WriteResult,
} from "./port.js";
import { isValidId } from "./resources.js";
import type { Attributes, Telemetry } from "./telemetry.js";

/** Log fields that describe a call (resource type, id or count, permission): never the subject. */
export type CallFields = Record<string, unknown>;

/** The write operations of a port. */
export type WriteOp = "grant" | "revoke" | "register" | "deregister";

/**
 * How reads are retried on a transient failure; `false` turns retries off.
 *
 * @example
 * ```ts
 * const authorizer = createAuthorizer({ port, retry: { attempts: 3, baseDelayMs: 10 } });
 * ```
 */
export interface RetryOptions {
  /** Retries after the first try (default 2). */
  attempts?: number;
  /** First backoff in ms, doubled each retry, fully jittered (default 20). */
  baseDelayMs?: number;
}

/**
 * The bounds on one call's work; past them a call is refused before the backend is asked.
 *
 * @example
 * ```ts
 * const authorizer = createAuthorizer({ port, limits: { checkMany: 2000, lookupIds: 50_000 } });
 * ```
 */
export interface Limits {
  /** Most resources one `canMany` may ask about (default 10 000). */
  checkMany?: number;
  /** Most ids one lookup may answer (default 100 000); more fails closed. */
  lookupIds?: number;
}

/** @internal The guarded port's settings. */
export interface GuardedPortOptions {
  logger: Logger;
  telemetry: Telemetry;
  /** The backend's name for telemetry (`port.backend`, else `"custom"`). */
  backend: string;
  timeoutMs: number;
  retry: Required<RetryOptions> | false;
  limits: Required<Limits>;
}

/** Defaults of {@link Limits}. */
export const DEFAULT_LIMITS: Required<Limits> = Object.freeze({
  checkMany: 10_000,
  lookupIds: 100_000,
});

/** Defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY: Required<RetryOptions> = Object.freeze({
  attempts: 2,
  baseDelayMs: 20,
});

/**
 * @internal A call its caller gave up on (the `abandon` signal of {@link GuardedPort.lookup}):
 * not a failure of the backend. Never reaches an application: its caller catches it.
 */
export class AbandonedError extends Error {
  readonly code = "abandoned";
  constructor() {
    super("fgac: call abandoned by its caller");
    this.name = "AbandonedError";
  }
}

/** Questions per `checkMany` call to the port: bounds what one backend call holds. */
const CHECK_CHUNK = 1000;

/**
 * Codes of the errors a port may throw (see AuthorizationPort). Anything else, such as a port
 * that "denies" by throwing AuthorizationError, fails closed, so a denial can never escape the
 * collapse policy as a 403.
 */
const PORT_ERROR_CODES: readonly FgacErrorCode[] = [
  "authorization_unavailable",
  "conflict",
  "unauthenticated",
  "configuration_error",
  "invalid_identifier",
  "invalid_consistency_token",
];

/** What a write may also throw: the backend refused it. */
const WRITE_ERROR_CODES: readonly FgacErrorCode[] = [...PORT_ERROR_CODES, "forbidden"];
const WRITE_OPS: ReadonlySet<string> = new Set(["grant", "revoke", "register", "deregister"]);

/**
 * @internal A port seen through the authorizer's guarantees: each call has a deadline
 * (`timeoutMs`) whose expiry aborts the port's work through `signal`; reads are retried on a
 * transient failure inside that deadline, writes never; only the errors a port is documented to
 * throw pass (anything else is `AuthorizationUnavailableError`); failures are logged by code (a
 * backend's message can hold the subject); only well-formed answers are returned.
 */
export class GuardedPort {
  constructor(
    private readonly port: AuthorizationPort,
    private readonly options: GuardedPortOptions,
  ) {}

  /** The deadline of each call, in ms. */
  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /** Most questions one `checkMany` may hold (`limits.checkMany`). */
  get checkManyLimit(): number {
    return this.options.limits.checkMany;
  }

  /** One check; anything but a boolean answer fails closed. */
  async check(req: CheckRequest, fields: CallFields): Promise<boolean> {
    const answer = await this.call("check", fields, true, (o) => this.port.check(req, o));
    if (typeof answer !== "boolean") throw this.malformed("check", fields);
    return answer;
  }

  /**
   * Many checks, in chunks, under one deadline; anything but one boolean per request, in order,
   * fails closed. More than `limits.checkMany` is refused before any backend call.
   */
  async checkMany(reqs: readonly CheckRequest[], fields: CallFields): Promise<boolean[]> {
    if (reqs.length > this.options.limits.checkMany) {
      throw new ConfigurationError(
        `canMany: at most ${this.options.limits.checkMany} resources per call (limits.checkMany)`,
      );
    }
    this.options.telemetry.batch(reqs.length, { "fgac.backend": this.options.backend });
    return this.call("checkMany", { ...fields, count: reqs.length }, true, async (o) => {
      const answers: boolean[] = [];
      for (let i = 0; i < reqs.length; i += CHECK_CHUNK) {
        const chunk = reqs.slice(i, i + CHECK_CHUNK);
        const part = await this.port.checkMany(chunk, o);
        if (!Array.isArray(part) || part.length !== chunk.length || !part.every(isBoolean)) {
          throw MALFORMED;
        }
        answers.push(...part);
      }
      return answers;
    });
  }

  /**
   * A lookup: `null` (unscoped) or distinct valid ids, at most `limits.lookupIds`. When
   * `abandon` aborts first, the port's work is aborted and the call rejects with
   * {@link AbandonedError}: the caller gave up on it, so it is neither logged nor counted as a
   * backend failure.
   */
  async lookup(
    req: LookupRequest,
    fields: CallFields,
    abandon?: AbortSignal,
  ): Promise<string[] | null> {
    const ids = await this.call("lookup", fields, true, (o) => this.port.lookup(req, o), abandon);
    if (ids === null) return null;
    if (!Array.isArray(ids) || !ids.every(isValidId)) throw this.malformed("lookup", fields);
    const unique = [...new Set(ids)];
    if (unique.length > this.options.limits.lookupIds) {
      this.options.logger.error(
        { fgac: "lookup", ...fields, error: "too_many_ids" },
        "fgac: lookup failed",
      );
      throw new ConfigurationError(
        `lookup: more than ${this.options.limits.lookupIds} ids (limits.lookupIds); scope it by parent or page it`,
      );
    }
    return unique;
  }

  /** A write, never retried (its outcome may be unknown); a missing result is an empty one. */
  async write(
    op: WriteOp,
    fields: CallFields,
    fn: (port: AuthorizationPort, options: CallOptions) => Promise<WriteResult>,
  ): Promise<WriteResult> {
    return (await this.call(op, fields, false, (o) => fn(this.port, o))) ?? {};
  }

  private async call<T>(
    op: string,
    fields: CallFields,
    idempotent: boolean,
    fn: (options: CallOptions) => Promise<T>,
    abandon?: AbortSignal,
  ): Promise<T> {
    const controller = new AbortController();
    const { signal } = controller;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let giveUp: (() => void) | undefined;
    let abandoned = false;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new AuthorizationUnavailableError());
        controller.abort(new AuthorizationUnavailableError());
      }, this.options.timeoutMs);
      if (abandon) {
        giveUp = () => {
          abandoned = true;
          reject(new AbandonedError());
          controller.abort(new AbandonedError());
        };
        if (abandon.aborted) giveUp();
        else abandon.addEventListener("abort", giveUp, { once: true });
      }
    });
    try {
      return await this.options.telemetry.call(
        op === "checkMany" ? "check_many" : op,
        this.attributes(fields),
        async (span) => {
          const answer = await Promise.race([
            this.tries(op, fields, idempotent, signal, fn),
            deadline,
          ]).catch((error: unknown) => {
            // Only this call's own caller can abandon it: an AbandonedError from anywhere else
            // (a port sharing another call's work) is a failure like any other.
            if (abandoned && error instanceof AbandonedError) throw error;
            throw this.failed(op, fields, error);
          });
          if (typeof answer === "boolean")
            span?.setAttribute("fgac.decision", answer ? "allowed" : "denied");
          if (Array.isArray(answer) && op === "checkMany") {
            span?.setAttribute("fgac.allowed_count", answer.filter((a) => a === true).length);
          }
          return answer;
        },
      );
    } finally {
      clearTimeout(timer);
      if (giveUp) abandon?.removeEventListener("abort", giveUp);
      // Whatever the outcome, nothing of this call may keep running for nobody.
      if (!signal.aborted) controller.abort();
    }
  }

  /** Runs `fn`, retrying a read on a transient failure until the deadline aborts `signal`. */
  private async tries<T>(
    op: string,
    fields: CallFields,
    idempotent: boolean,
    signal: AbortSignal,
    fn: (options: CallOptions) => Promise<T>,
  ): Promise<T> {
    const retry = idempotent ? this.options.retry : false;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await fn({ signal });
      } catch (error) {
        const transient =
          hasFgacCode(error, "authorization_unavailable") &&
          (error as { transient?: unknown }).transient === true;
        if (!retry || !transient || attempt >= retry.attempts || signal.aborted) throw error;
        const delayMs = Math.random() * retry.baseDelayMs * 2 ** attempt;
        this.options.logger.warn(
          { fgac: op, ...fields, retry: attempt + 1, error: "authorization_unavailable" },
          `fgac: ${op} retried`,
        );
        await sleep(delayMs, signal);
      }
    }
  }

  /** The error a failed call throws: only what a port may throw passes; logged by code. */
  private failed(op: string, fields: CallFields, error: unknown): Error {
    if (error === MALFORMED) return this.malformed(op, fields);
    // A write the backend refused (a 403 from an authorization service) is a denial of that
    // write; on a read, "forbidden" would escape the collapse policy, so it fails closed.
    const codes = WRITE_OPS.has(op) ? WRITE_ERROR_CODES : PORT_ERROR_CODES;
    const mapped = hasFgacCode(error, ...codes)
      ? error
      : new AuthorizationUnavailableError(undefined, { cause: error });
    this.options.logger.error({ fgac: op, ...fields, error: mapped.code }, `fgac: ${op} failed`);
    return mapped;
  }

  /** Span attributes of a call: what, never who (no subject, no resource id). */
  private attributes(fields: CallFields): Attributes {
    const attributes: Attributes = { "fgac.backend": this.options.backend };
    if (typeof fields["resourceType"] === "string")
      attributes["fgac.resource.type"] = fields["resourceType"];
    if (typeof fields["permission"] === "string")
      attributes["fgac.permission"] = fields["permission"];
    if (typeof fields["relation"] === "string") attributes["fgac.relation"] = fields["relation"];
    if (typeof fields["parentType"] === "string")
      attributes["fgac.parent.type"] = fields["parentType"];
    if (typeof fields["count"] === "number") attributes["fgac.batch.size"] = fields["count"];
    return attributes;
  }

  private malformed(op: string, fields: CallFields): AuthorizationUnavailableError {
    this.options.logger.error(
      { fgac: op, ...fields, error: "malformed_answer" },
      `fgac: ${op} failed`,
    );
    return new AuthorizationUnavailableError();
  }
}

/** Thrown inside a call for an answer of the wrong shape; logged once, as malformed. */
const MALFORMED = Symbol("malformed");

function isBoolean(value: unknown): value is boolean {
  return typeof value === "boolean";
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
