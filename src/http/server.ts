// createAuthzHandler: the agentex-auth HTTP contract served over any port, as a fetch
// handler (Request -> Response) that never echoes its input.
import * as z from "zod/mini";
import {
  AuthorizationError,
  type ErrorResponse,
  errorResponse,
  NotFoundError,
  toErrorResponse,
  UnauthenticatedError,
} from "../core/errors.js";
import { fn, parseOptions } from "../core/options.js";
import type { AuthorizationPort } from "../core/port.js";
import type { Resource, Subject } from "../core/resources.js";
import { BodyTooLargeError, readCapped } from "./body.js";
import { BadRequest, createPlanner } from "./operations.js";
import {
  WIRE_OPS,
  type WireCheckBody,
  type WireDeregisterBody,
  type WireOp,
  type WireRegisterBody,
  type WireRelationBody,
  type WireResource,
  type WireSearchBody,
} from "./wire.js";

/**
 * What `authenticate` answers for a caller it does not know: the request is a 401.
 *
 * @example
 * ```ts
 * const authenticate = async (req: Request): Promise<{ tenant: string } | Unauthenticated> =>
 *   (await verify(req.headers.get("authorization"))) ?? null;
 * ```
 */
export type Unauthenticated = false | null | undefined | 0 | "";

/**
 * What `authorize` decides on: who calls (`caller`, as `authenticate` returned it; `null` with
 * `authenticate: "none"`), the operation, its body as validated (unknown keys dropped, frozen)
 * and the principal mapped to a subject (for `deregister` only when the body has a principal
 * that is not `null`). Narrow on `op` to reach each body's fields. A type-level check reaches it
 * too, with `body.resource.selector` `"*"`.
 *
 * @typeParam C - the caller identity `authenticate` returns
 * @example
 * ```ts
 * const authorize = ({ caller, op, body }: AuthorizeInput<{ canWrite: boolean }>) =>
 *   op === "check" || op === "search" || (caller.canWrite && body.resource.type !== "tenant");
 * ```
 */
export type AuthorizeInput<C = unknown> =
  | {
      readonly caller: C;
      readonly op: "check";
      readonly body: WireCheckBody;
      readonly subject: Subject;
    }
  | {
      readonly caller: C;
      readonly op: "grant" | "revoke";
      readonly body: WireRelationBody;
      readonly subject: Subject;
    }
  | {
      readonly caller: C;
      readonly op: "register";
      readonly body: WireRegisterBody;
      readonly subject: Subject;
    }
  | {
      readonly caller: C;
      readonly op: "deregister";
      readonly body: WireDeregisterBody;
      readonly subject?: Subject;
    }
  | {
      readonly caller: C;
      readonly op: "search";
      readonly body: WireSearchBody;
      readonly subject: Subject;
    };

/**
 * What `typeLevel` decides on: a check whose selector is `"*"`, "may this principal `operation`
 * any `resourceType` at all?" (agentex asks `create` on `agent` and `task` before creating one).
 * `principal` is the wire's, unchanged (read a tenant from it); `subject` is it mapped.
 *
 * @typeParam C - the caller identity `authenticate` returns
 * @example
 * ```ts
 * const typeLevel = ({ principal, subject, resourceType, operation }: TypeLevelInput) =>
 *   resourceType === "agent" && operation === "create" &&
 *   port.check({ subject, resource: tenant(accountOf(principal)), permission: "create_agent" });
 * ```
 */
export interface TypeLevelInput<C = unknown> {
  readonly caller: C;
  readonly principal: unknown;
  readonly subject: Subject;
  readonly resourceType: string;
  readonly operation: string;
}

/**
 * What `defaultParent` decides on: a `register` whose body has no parent. `resource` is the
 * wire's (its selector as sent).
 *
 * @typeParam C - the caller identity `authenticate` returns
 * @example
 * ```ts
 * const defaultParent = ({ principal, resource }: DefaultParentInput) =>
 *   resource.type === "agent" ? tenant(accountOf(principal)) : null;
 * ```
 */
export interface DefaultParentInput<C = unknown> {
  readonly caller: C;
  readonly principal: unknown;
  readonly subject: Subject;
  readonly resource: WireResource;
}

/**
 * Options of {@link createAuthzHandler}.
 *
 * @typeParam C - the caller identity `authenticate` returns
 * @example
 * ```ts
 * const options: AuthzHandlerOptions<{ tenant: string }> = {
 *   authenticate: tenantFromToken(tokenHashes),
 *   authorize: tenantScoped(port),
 * };
 * ```
 */
export interface AuthzHandlerOptions<C = unknown> {
  /**
   * Required. Identifies the caller from the request (a bearer token, an mTLS header set by the
   * platform...) and returns its identity, any truthy value (e.g. `{ service, tenant }`, or
   * `true`); a falsy answer is a 401 with a constant body. `"none"` serves every caller without
   * authentication: only behind a boundary that admits nothing else.
   */
  authenticate: ((request: Request) => C | Unauthenticated | Promise<C | Unauthenticated>) | "none";
  /**
   * Decides whether this caller may run this operation with this body (principal, resource,
   * relation, parent). Anything but `true` is a 403 with a constant body, and the port is not
   * called. Without it, every authenticated caller may do everything, including writing any
   * edge for any principal: see "Who may write" in `docs/http-backend.md`.
   */
  authorize?: (input: AuthorizeInput<C>) => boolean | Promise<boolean>;
  /** Path prefix of the operations (default `/v1/authz`). */
  basePath?: string;
  /**
   * Maps a principal from the wire to a subject (default: `{ type, id, relation? }`). For
   * agentex's principal (`{ user_id, account_id, ... }`) use {@link agentexPrincipal}. A mapping
   * that throws answers 400 (a library error it throws keeps its own status).
   */
  subject?: (principal: unknown) => Subject;
  /**
   * Decides type-level checks, those whose selector is `"*"` ("may this principal create
   * agents?"), typically with a permission on a parent named by the principal (agentex:
   * `tenant.create_agent` on the principal's account). Anything but `true` answers 403; it runs
   * after `authorize`. Without it every type-level check is denied (403). `"*"` is refused as a
   * selector everywhere else (400).
   */
  typeLevel?: (input: TypeLevelInput<C>) => boolean | Promise<boolean>;
  /**
   * The parent to register a resource under when the `register` body names none (agentex
   * registers agents without one; with `agentexSchema` an agent outside a tenant is visible to
   * nobody). `null` or `undefined`: registered without a parent. Runs after `authorize`, which
   * sees the body as sent. An invalid resource answers 400.
   */
  defaultParent?: (input: DefaultParentInput<C>) => Resource | null | undefined;
  /**
   * Accept selectors that are not valid object ids (agentex's schedules,
   * `"run-schedule::{agent}::{id}"`) and store them encoded: a valid id as it is, any other
   * selector as `"="` and its UTF-8 in base64; searches answer them decoded (default `false`:
   * such selectors are a 400). The backend then holds the encoded ids: read them through this
   * handler, or encode the same way.
   */
  encodeSelectors?: boolean;
  /**
   * Largest request body read, in bytes (default 65536; a contract body is well under 1 KiB).
   * A larger one answers 413 without being read to the end.
   */
  maxBodyBytes?: number;
}

const optionsSchema = z.object({
  authenticate: z.custom<AuthzHandlerOptions["authenticate"]>(
    (value) => value === "none" || typeof value === "function",
    'must be a function that identifies the caller (a falsy answer is a 401), or "none" to serve every caller without authentication',
  ),
  authorize: z.optional(fn<AuthzHandlerOptions["authorize"]>()),
  basePath: z.optional(z.string().check(z.startsWith("/"))),
  subject: z.optional(fn<AuthzHandlerOptions["subject"]>()),
  typeLevel: z.optional(fn<AuthzHandlerOptions["typeLevel"]>()),
  defaultParent: z.optional(fn<AuthzHandlerOptions["defaultParent"]>()),
  encodeSelectors: z.optional(z.boolean()),
  maxBodyBytes: z.optional(z.number().check(z.int(), z.positive())),
});

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Error answers share the library's one body builder (and its headers). */
function reply(
  { status, headers, body }: ErrorResponse,
  extra: Record<string, string> = {},
): Response {
  return new Response(body, { status, headers: { ...headers, ...extra } });
}

/**
 * Serves the agentex-auth HTTP contract over any port, as a fetch handler
 * `(Request) => Promise<Response>`: mount it as it is in Hono, Bun, Deno or Workers, and in Node
 * through `@hono/node-server` or an adapter.
 *
 * Secure by default: `authenticate` is required (`"none"` is the explicit opt-out), and
 * `authorize` decides which caller may run which operation for which principal and resource.
 * A request goes: route (404, 405), `authenticate` (401), body (413, 400), `authorize` (403),
 * then the port.
 *
 * Answers as agentex-auth does: 200 `{"success": true, "metadata": null}` for writes (plus the
 * port's `token` when it has one), the same plus `"allowed": true` for an allowed check, and
 * `{"items": [...], "success": true, "metadata": null}` for a search (`{"unscoped": true,
 * "items": [], ...}` when the port answers unscoped). Errors have the library's body
 * (`{"message", "code", "data": null}`): 403 (check denied, or `authorize` refused), 400 (body
 * that is not JSON or not of the contract's shape; the message names fields, never values), 401
 * (`authenticate` said no), 404 (unknown operation), 405 (method other than POST), 409 (register
 * conflict), 413 (body over `maxBodyBytes`), 503 (the port failed), 500 (anything else,
 * generic). `grant`/`revoke` pass a relation to the port only when the request has one (the
 * port's owner relation otherwise: agentex sends none). Type-level checks (selector `"*"`) go
 * to `typeLevel`.
 *
 * @typeParam C - the caller identity `authenticate` returns
 * @param port - the backend, e.g. `spicedbPort(...)`
 * @param options - `authenticate` (required), `authorize`, `basePath`, `subject`, `typeLevel`,
 *   `defaultParent`, `encodeSelectors`, `maxBodyBytes`
 * @returns the fetch handler
 * @throws `ConfigurationError` at construction for invalid options, `authenticate` missing among them
 * @example
 * ```ts
 * const handler = createAuthzHandler(spicedbPort({ endpoint, token }), {
 *   authenticate: async (req) => verifyServiceToken(req.headers.get("authorization")), // { tenant } | null
 *   authorize: async ({ caller, op, body }) => op === "check" || op === "search" || mayWrite(caller, body),
 * });
 * serve({ fetch: handler, port: 8080 }); // @hono/node-server
 *
 * // Serving agentex's own client (see "Serving agentex" in docs/http-backend.md):
 * const forAgentex = createAuthzHandler(port, {
 *   authenticate: "none", // agentex sends no credentials: a private network is the boundary
 *   subject: agentexPrincipal(),
 *   typeLevel: ({ principal, subject }) => mayCreate(principal, subject),
 *   encodeSelectors: true,
 * });
 * ```
 */
export function createAuthzHandler<C = unknown>(
  port: AuthorizationPort,
  options: AuthzHandlerOptions<C>,
): (request: Request) => Promise<Response> {
  parseOptions("createAuthzHandler", optionsSchema, options ?? {});
  const { authenticate, authorize } = options;
  const basePath = (options.basePath ?? "/v1/authz").replace(/\/+$/, "");
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const plan = createPlanner(port, {
    subject: options.subject,
    typeLevel: options.typeLevel as
      | ((input: TypeLevelInput) => boolean | Promise<boolean>)
      | undefined,
    defaultParent: options.defaultParent as
      | ((input: DefaultParentInput) => Resource | null | undefined)
      | undefined,
    encodeSelectors: options.encodeSelectors,
  });

  return async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    const prefix = `${basePath}/`;
    const op = pathname.startsWith(prefix) ? pathname.slice(prefix.length) : undefined;
    if (!op || !(WIRE_OPS as readonly string[]).includes(op)) {
      return reply(toErrorResponse(new NotFoundError()));
    }
    if (request.method !== "POST") {
      return reply(errorResponse(405, "Method not allowed.", "method_not_allowed"), {
        allow: "POST",
      });
    }
    try {
      let caller: unknown = null;
      if (authenticate !== "none") {
        caller = await authenticate(request);
        if (!caller) return reply(toErrorResponse(new UnauthenticatedError()));
      }
      const text = await readCapped(request, maxBodyBytes);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new BadRequest("Invalid JSON body.");
      }
      const { input, execute } = plan(op as WireOp, body);
      if (authorize && (await authorize({ ...input, caller } as AuthorizeInput<C>)) !== true) {
        return reply(toErrorResponse(new AuthorizationError()));
      }
      return await execute(caller);
    } catch (error) {
      if (error instanceof BadRequest)
        return reply(errorResponse(400, error.message, "bad_request"));
      if (error instanceof BodyTooLargeError)
        return reply(errorResponse(413, "Request body too large.", "payload_too_large"));
      // toErrorResponse turns anything that is not a library error into the generic 500.
      return reply(toErrorResponse(error));
    }
  };
}
