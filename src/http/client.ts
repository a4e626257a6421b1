// httpPort: the AuthorizationPort that calls an agentex-auth-style HTTP service, failing
// closed on every answer it does not positively understand.
import * as z from "zod/mini";
import {
  AuthorizationError,
  AuthorizationUnavailableError,
  ConfigurationError,
  ConflictError,
} from "../core/errors.js";
import { fn, parseOptions } from "../core/options.js";
import type {
  AuthorizationPort,
  CallOptions,
  CheckRequest,
  Consistency,
  DeregisterRequest,
  LookupRequest,
  RegisterRequest,
  RelationRequest,
  WriteResult,
} from "../core/port.js";
import { assertResource, assertSubject, type Resource, type Subject } from "../core/resources.js";
import { isNotFailure, own } from "./answer.js";
import { anySignal, createCall, unexpected } from "./call.js";
import { type WireOp, type WireResource, wireSearchAnswer, wireWriteAnswer } from "./wire.js";

/**
 * Options of {@link httpPort}.
 *
 * @example
 * ```ts
 * // Calling agentex-auth (or a service that speaks its wire) for agentex's users:
 * const options: HttpPortOptions = {
 *   baseUrl: process.env.AGENTEX_AUTH_URL!,
 *   principal: (s) => ({ user_id: s.id, account_id: accountId }),
 * };
 * ```
 */
export interface HttpPortOptions {
  /** Base URL of the service, e.g. `https://authz.internal` (calls go to `{baseUrl}/v1/authz/{op}`). */
  baseUrl: string;
  /** The fetch to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /**
   * Deadline per call in ms (default 2000), enforced with an `AbortSignal`; the authorizer's
   * own deadline (`CallOptions.signal`) also aborts the call.
   */
  timeoutMs?: number;
  /**
   * Headers added to every call (service credentials). Never logged, never in error messages,
   * never sent anywhere but `baseUrl`: redirects are not followed.
   */
  headers?: Record<string, string>;
  /**
   * Maps the library's subject to the service's principal JSON (default `{ type, id }`). For a
   * service that expects agentex's principal: `(s) => ({ user_id: s.id })`, or whatever its
   * authentication answers.
   */
  principal?: (subject: Subject) => unknown;
  /** How many checks `checkMany` runs at once (default 8). */
  concurrency?: number;
  /** The path under `baseUrl` (default `/v1/authz`). */
  basePath?: string;
  /**
   * Largest answer read, in bytes (default 16 MiB: a search of about 400 000 ids). A larger one
   * fails closed with `AuthorizationUnavailableError` without being read to the end.
   */
  maxResponseBytes?: number;
}

const optionsSchema = z.object({
  baseUrl: z.string().check(z.url()),
  fetch: z.optional(fn<typeof fetch>()),
  timeoutMs: z.optional(z.number().check(z.int(), z.positive())),
  headers: z.optional(z.record(z.string(), z.string())),
  principal: z.optional(fn<(s: Subject) => unknown>()),
  concurrency: z.optional(z.number().check(z.int(), z.gte(1), z.lte(256))),
  basePath: z.optional(z.string().check(z.startsWith("/"))),
  maxResponseBytes: z.optional(z.number().check(z.int(), z.positive())),
});

function defaultPrincipal(subject: Subject): unknown {
  return subject.relation
    ? { type: subject.type, id: subject.id, relation: subject.relation }
    : { type: subject.type, id: subject.id };
}

function wire(resource: Resource): WireResource {
  assertResource(resource);
  return { type: resource.type, selector: resource.id };
}

/**
 * An {@link AuthorizationPort} that calls an agentex-auth-style HTTP service:
 * `POST {baseUrl}/v1/authz/{check|grant|revoke|register|deregister|search}`. Runs on any runtime
 * with `fetch`.
 *
 * Believes only what it positively understands; everything else fails closed with
 * `AuthorizationUnavailableError` (503), and no upstream status or text reaches the caller:
 * - Redirects are never followed (`redirect: "manual"`): any 3xx, an opaque redirect or an
 *   answer a custom `fetch` marked `redirected` fails closed, and nothing (credentials
 *   included) is sent to the `Location`.
 * - A check allows only on a 200 labelled JSON (`application/json` or `+json`) whose body is one
 *   JSON object without duplicate keys, whose `allowed`, when present, is exactly `true` (and
 *   `success`, when present, too). 403 denies. An HTML page, an empty body, `{"allowed": false}`
 *   or `"true"` on a 200 fail closed.
 * - A write allows the same 200 JSON object only; its outcome is otherwise unknown. 403 is
 *   `AuthorizationError`, 409 on register `ConflictError`.
 * - A search needs a list, `{ items: valid ids }` (`unscoped`, if present, exactly `false`), or
 *   "no filter", `{ unscoped: true }` (`items`, if present, empty); `success`, if present,
 *   exactly `true`; other keys (`metadata`) are ignored. agentex-auth's
 *   `{"items": [...], "success": true, "metadata": null}` is a list. `{"items": null}`, a string,
 *   `{"unscoped": true, "items": ["k1"]}` or a non-boolean `unscoped` fail closed.
 * - 401 is `UnauthenticatedError`. Network errors and 502/503/504 are marked `transient` (the
 *   authorizer retries reads on them); timeouts, aborts and other answers are not.
 *
 * `CallOptions.signal` (the authorizer's deadline) aborts the fetch and the body read.
 * `grant`/`revoke` without a relation send none: the service applies its own owner relation.
 * `deregister` sends the request's `subject` as the principal (agentex-auth expects one on
 * every call), `null` when it has none.
 *
 * @param options - `baseUrl`, and optionally `fetch`, `timeoutMs`, `headers`, `principal`,
 *   `concurrency`, `basePath`, `maxResponseBytes`
 * @returns the port
 * @throws `ConfigurationError` for invalid options
 * @example
 * ```ts
 * const port = httpPort({ baseUrl: "https://authz.internal", headers: { authorization: `Bearer ${token}` } });
 * const authorizer = createAuthorizer({ port });
 * ```
 */
export function httpPort(options: HttpPortOptions): AuthorizationPort {
  parseOptions("httpPort", optionsSchema, options);
  // Resolved per call, not captured: fetch may be replaced after the port is built.
  const doFetch: typeof fetch = (input, init) => (options.fetch ?? globalThis.fetch)(input, init);
  if (typeof (options.fetch ?? globalThis.fetch) !== "function") {
    throw new ConfigurationError("httpPort: no fetch available; pass options.fetch");
  }
  const base =
    options.baseUrl.replace(/\/+$/, "") + (options.basePath ?? "/v1/authz").replace(/\/+$/, "");
  const concurrency = options.concurrency ?? 8;
  const principalOf = (subject: Subject, allowWildcard = false) => {
    assertSubject(subject, allowWildcard);
    return (options.principal ?? defaultPrincipal)(subject);
  };

  const call = createCall({
    fetch: doFetch,
    base,
    headers: options.headers ?? {},
    timeoutMs: options.timeoutMs ?? 2000,
    maxResponseBytes: options.maxResponseBytes ?? 16 * 1024 * 1024,
  });

  async function write(
    op: WireOp,
    body: unknown,
    callOptions: CallOptions | undefined,
    conflictOn409 = false,
  ): Promise<WriteResult> {
    const { status, object } = await call(op, body, callOptions?.signal);
    if (status === 403) throw new AuthorizationError();
    if (status === 409 && conflictOn409) throw new ConflictError();
    // Anything but a 200 JSON object: the edge may or may not have been written.
    if (status !== 200 || !object || !isNotFailure(object)) throw unexpected(op, status);
    const answer = wireWriteAnswer.safeParse(object);
    if (!answer.success) throw unexpected(op, status);
    return answer.data.token ? { token: answer.data.token } : {};
  }

  /** grant and revoke: one edge, operation `create` / `delete` as the reference sends. */
  async function relationWrite(
    op: "grant" | "revoke",
    req: RelationRequest,
    callOptions?: CallOptions,
  ): Promise<WriteResult> {
    return write(
      op,
      {
        principal: principalOf(req.subject, true), // the wildcard may be granted (public access)
        resource: wire(req.resource),
        // No relation: none sent, the service applies its own default (its port's owner relation).
        ...(req.relation === undefined ? {} : { relation: req.relation }),
        operation: op === "grant" ? "create" : "delete",
      },
      callOptions,
    );
  }

  /**
   * The wire has no consistency field, so the service reads at its own default. A request that
   * needs a fresher read is refused rather than answered from possibly older data (which could
   * still allow a revoked edge); `minimizeLatency` asks for nothing more, so it passes.
   */
  function assertNoFreshness(req: { readonly consistency?: Consistency }): void {
    if (req.consistency && req.consistency.kind !== "minimizeLatency") {
      throw new ConfigurationError(
        "httpPort: the wire contract cannot carry a consistency requirement; the service reads at its own default",
      );
    }
  }

  async function check(req: CheckRequest, signal?: AbortSignal): Promise<boolean> {
    assertNoFreshness(req);
    const { status, object } = await call(
      "check",
      {
        principal: principalOf(req.subject),
        resource: wire(req.resource),
        operation: req.permission,
      },
      signal,
    );
    if (status === 403) return false;
    if (
      status === 200 &&
      object &&
      isNotFailure(object) &&
      (!Object.hasOwn(object, "allowed") || own(object, "allowed") === true)
    ) {
      return true;
    }
    throw unexpected("check", status);
  }

  return {
    backend: "http",
    check: (req, callOptions) => check(req, callOptions?.signal),
    async checkMany(reqs: readonly CheckRequest[], callOptions?: CallOptions): Promise<boolean[]> {
      for (const req of reqs) assertNoFreshness(req);
      // The first failure fails the whole answer: stop the rest rather than let them run on.
      const stop = new AbortController();
      const { signal, dispose } = anySignal(
        callOptions?.signal ? [callOptions.signal, stop.signal] : [stop.signal],
      );
      const results: boolean[] = new Array(reqs.length);
      let next = 0;
      const worker = async () => {
        while (next < reqs.length && !signal.aborted) {
          const i = next++;
          try {
            results[i] = await check(reqs[i] as CheckRequest, signal);
          } catch (error) {
            stop.abort(error);
            throw error;
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(concurrency, reqs.length) }, worker));
      } finally {
        dispose();
      }
      if (signal.aborted)
        throw new AuthorizationUnavailableError(undefined, { cause: signal.reason });
      return results;
    },
    async lookup(req: LookupRequest, callOptions?: CallOptions): Promise<readonly string[] | null> {
      // The contract's search has no parent filter: a server would answer everything the
      // subject can see, which is not what was asked. Refuse rather than widen the list.
      if (req.parent) {
        throw new ConfigurationError(
          "httpPort: the search operation cannot be scoped to a parent; filter by parent in the query",
        );
      }
      assertNoFreshness(req);
      const { status, object } = await call(
        "search",
        {
          principal: principalOf(req.subject),
          filter_resource: req.resourceType,
          filter_operation: req.permission,
        },
        callOptions?.signal,
      );
      if (status !== 200 || !object) throw unexpected("search", status);
      const answer = wireSearchAnswer.safeParse(object);
      if (!answer.success) throw unexpected("search", status);
      return answer.data.unscoped === true ? null : [...new Set(answer.data.items)];
    },
    grant: (req, callOptions) => relationWrite("grant", req, callOptions),
    revoke: (req, callOptions) => relationWrite("revoke", req, callOptions),
    // async: an invalid resource rejects the promise rather than throwing before it exists.
    register: async (req: RegisterRequest, callOptions?: CallOptions) =>
      write(
        "register",
        {
          principal: principalOf(req.subject),
          resource: wire(req.resource),
          parent: req.parent ? wire(req.parent) : null,
        },
        callOptions,
        true,
      ),
    deregister: async (req: DeregisterRequest, callOptions?: CallOptions) =>
      write(
        "deregister",
        {
          // agentex-auth expects the principal on every call; without one, null as before.
          principal: req.subject ? principalOf(req.subject) : null,
          resource: wire(req.resource),
        },
        callOptions,
      ),
  };
}
