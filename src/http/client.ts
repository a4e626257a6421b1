// httpPort: the AuthorizationPort that calls an agentex-auth-style HTTP service, failing
// closed on every answer it does not positively understand.
import { z } from "zod";
import {
  AuthorizationUnavailableError,
  ConfigurationError,
  ConflictError,
  UnauthenticatedError,
} from "../core/errors.js";
import { fn, parseOptions } from "../core/options.js";
import type {
  AuthorizationPort,
  CheckRequest,
  Consistency,
  DeregisterRequest,
  LookupRequest,
  RegisterRequest,
  RelationRequest,
  WriteResult,
} from "../core/port.js";
import { DEFAULT_RELATION } from "../core/port.js";
import { assertResource, assertSubject, type Resource, type Subject } from "../core/resources.js";
import { readCapped } from "./body.js";
import { type WireOp, type WireResource, wireSearchAnswer, wireWriteAnswer } from "./wire.js";

/** Options of {@link httpPort}. */
export interface HttpPortOptions {
  /** Base URL of the service, e.g. `https://authz.internal` (calls go to `{baseUrl}/v1/authz/{op}`). */
  baseUrl: string;
  /** The fetch to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Deadline per call in ms (default 2000), enforced with an `AbortSignal`. */
  timeoutMs?: number;
  /** Headers added to every call (service credentials). Never logged, never in error messages. */
  headers?: Record<string, string>;
  /** Maps the library's subject to the service's principal JSON (default `{ type, id }`). */
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
  baseUrl: z.string().url(),
  fetch: fn<typeof fetch>().optional(),
  timeoutMs: z.number().int().positive().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  principal: fn<(s: Subject) => unknown>().optional(),
  concurrency: z.number().int().min(1).max(256).optional(),
  basePath: z.string().startsWith("/").optional(),
  maxResponseBytes: z.number().int().positive().optional(),
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
 * Fails closed on everything unexpected: network errors, timeouts, 5xx and any undocumented
 * status, bodies that are not JSON or not of the contract's shape (`items: null`, `items: "abc"`,
 * `unscoped: 1`, both keys...) are `AuthorizationUnavailableError`; 401 is
 * `UnauthenticatedError`; 409 on register is `ConflictError`. No upstream status or text
 * reaches the caller.
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
  const timeoutMs = options.timeoutMs ?? 2000;
  const concurrency = options.concurrency ?? 8;
  const maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  const principalOf = (subject: Subject, allowWildcard = false) => {
    assertSubject(subject, allowWildcard);
    return (options.principal ?? defaultPrincipal)(subject);
  };

  /** One call; resolves to the status and the parsed JSON body (undefined if none or invalid). */
  async function call(
    op: WireOp,
    body: unknown,
  ): Promise<{ status: number; json: unknown; jsonOk: boolean }> {
    let response: Response;
    let text: string;
    const signal = AbortSignal.timeout(timeoutMs);
    // The deadline covers the body too, whatever `fetch` does with the signal once the headers
    // are in (a custom or mocked fetch may not abort a body that trickles).
    const expired = new Promise<never>((_, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    expired.catch(() => {});
    try {
      response = await Promise.race([
        doFetch(`${base}/${op}`, {
          method: "POST",
          headers: {
            ...options.headers,
            "content-type": "application/json",
            accept: "application/json",
          },
          body: JSON.stringify(body),
          signal,
        }),
        expired,
      ]);
      text = await Promise.race([readCapped(response, maxResponseBytes), expired]);
    } catch (error) {
      // Network failure, timeout, a body cut off mid-stream or over maxResponseBytes.
      throw new AuthorizationUnavailableError(undefined, { cause: error });
    }
    if (response.status === 401) throw new UnauthenticatedError();
    let json: unknown;
    let jsonOk = false;
    if (text.trim() !== "") {
      try {
        json = JSON.parse(text);
        jsonOk = true;
      } catch {
        jsonOk = false;
      }
    }
    return { status: response.status, json, jsonOk };
  }

  function unexpected(op: WireOp, status: number): AuthorizationUnavailableError {
    return new AuthorizationUnavailableError(undefined, { cause: { op, status } });
  }

  async function write(op: WireOp, body: unknown, conflictOn409 = false): Promise<WriteResult> {
    const { status, json, jsonOk } = await call(op, body);
    if (status === 409 && conflictOn409) throw new ConflictError();
    if (status !== 200) throw unexpected(op, status);
    if (!jsonOk) return {};
    const answer = wireWriteAnswer.safeParse(json);
    if (!answer.success) throw unexpected(op, status);
    return answer.data.token ? { token: answer.data.token } : {};
  }

  /** grant and revoke: one edge, operation `create` / `delete` as the reference sends. */
  async function relationWrite(op: "grant" | "revoke", req: RelationRequest): Promise<WriteResult> {
    return write(op, {
      principal: principalOf(req.subject, true), // the wildcard may be granted (public access)
      resource: wire(req.resource),
      relation: req.relation ?? DEFAULT_RELATION,
      operation: op === "grant" ? "create" : "delete",
    });
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

  async function check(req: CheckRequest): Promise<boolean> {
    assertNoFreshness(req);
    const { status } = await call("check", {
      principal: principalOf(req.subject),
      resource: wire(req.resource),
      operation: req.permission,
    });
    if (status === 200) return true;
    if (status === 403) return false;
    throw unexpected("check", status);
  }

  return {
    check,
    async checkMany(reqs: readonly CheckRequest[]): Promise<boolean[]> {
      for (const req of reqs) assertNoFreshness(req);
      const results: boolean[] = new Array(reqs.length);
      let next = 0;
      const worker = async () => {
        while (next < reqs.length) {
          const i = next++;
          results[i] = await check(reqs[i] as CheckRequest);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, reqs.length) }, worker));
      return results;
    },
    async lookup(req: LookupRequest): Promise<readonly string[] | null> {
      // The contract's search has no parent filter: a server would answer everything the
      // subject can see, which is not what was asked. Refuse rather than widen the list.
      if (req.parent) {
        throw new ConfigurationError(
          "httpPort: the search operation cannot be scoped to a parent; filter by parent in the query",
        );
      }
      assertNoFreshness(req);
      const { status, json, jsonOk } = await call("search", {
        principal: principalOf(req.subject),
        filter_resource: req.resourceType,
        filter_operation: req.permission,
      });
      if (status !== 200 || !jsonOk) throw unexpected("search", status);
      const answer = wireSearchAnswer.safeParse(json);
      if (!answer.success) throw unexpected("search", status);
      return "unscoped" in answer.data ? null : [...new Set(answer.data.items)];
    },
    grant: (req: RelationRequest) => relationWrite("grant", req),
    revoke: (req: RelationRequest) => relationWrite("revoke", req),
    async register(req: RegisterRequest) {
      return write(
        "register",
        {
          principal: principalOf(req.subject),
          resource: wire(req.resource),
          parent: req.parent ? wire(req.parent) : null,
        },
        true,
      );
    },
    async deregister(req: DeregisterRequest) {
      return write("deregister", { principal: null, resource: wire(req.resource) });
    },
  };
}
