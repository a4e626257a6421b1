// createAuthzHandler: the agentex-auth HTTP contract served over any port, as a fetch
// handler (Request -> Response) that never echoes its input.
import { z } from "zod";
import {
  type ErrorResponse,
  errorResponse,
  NotFoundError,
  toErrorResponse,
  UnauthenticatedError,
} from "../core/errors.js";
import { fn, parseOptions } from "../core/options.js";
import type { AuthorizationPort } from "../core/port.js";
import { assertSubject, type Resource, type Subject } from "../core/resources.js";
import { BodyTooLargeError, readCapped } from "./body.js";
import { WIRE_OPS, type WireOp, type WireResource, wireRequests } from "./wire.js";

/** Options of {@link createAuthzHandler}. */
export interface AuthzHandlerOptions {
  /**
   * Decides who may call the service at all (e.g. checks a bearer token or an mTLS header set by
   * the platform). Resolve `false` to answer 401. Without it every caller is accepted: only
   * acceptable behind a network boundary that admits nothing else.
   */
  authenticate?: (request: Request) => boolean | Promise<boolean>;
  /** Path prefix of the operations (default `/v1/authz`). */
  basePath?: string;
  /** Maps a principal from the wire to a subject (default: `{ type, id, relation? }`). */
  subject?: (principal: unknown) => Subject;
  /**
   * Largest request body read, in bytes (default 65536; a contract body is well under 1 KiB).
   * A larger one answers 413 without being read to the end.
   */
  maxBodyBytes?: number;
}

const defaultPrincipal = z
  .object({ type: z.string(), id: z.string(), relation: z.string().optional() })
  .transform(
    (p): Subject =>
      p.relation ? { type: p.type, id: p.id, relation: p.relation } : { type: p.type, id: p.id },
  );

const optionsSchema = z.object({
  authenticate: fn<AuthzHandlerOptions["authenticate"]>().optional(),
  basePath: z.string().startsWith("/").optional(),
  subject: fn<AuthzHandlerOptions["subject"]>().optional(),
  maxBodyBytes: z.number().int().positive().optional(),
});

class BadRequest extends Error {}
const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Error answers share the library's one body builder (and its headers). */
function reply(
  { status, headers, body }: ErrorResponse,
  extra: Record<string, string> = {},
): Response {
  return new Response(body, { status, headers: { ...headers, ...extra } });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
    },
  });
}

function fromWire(r: WireResource): Resource {
  return { type: r.type, id: r.selector };
}

/**
 * Serves the agentex-auth HTTP contract over any port, as a fetch handler
 * `(Request) => Promise<Response>`: mount it as it is in Hono, Bun, Deno or Workers, and in Node
 * through `@hono/node-server` or an adapter.
 *
 * Answers: 200 (check allowed, writes, search), 403 (check denied), 400 (body that is not JSON or
 * not of the contract's shape; the message names fields, never values), 401 (`authenticate`
 * said no), 404 (unknown operation), 405 (method other than POST), 409 (register conflict),
 * 413 (body over `maxBodyBytes`),
 * 503 (the port failed), 500 (anything else, generic).
 *
 * @param port - the backend, e.g. `spicedbPort(...)`
 * @param options - `authenticate`, `basePath`, `subject`, `maxBodyBytes`
 * @returns the fetch handler
 * @example
 * ```ts
 * const handler = createAuthzHandler(spicedbPort({ endpoint, token }), {
 *   authenticate: (req) => req.headers.get("authorization") === `Bearer ${process.env.AUTHZ_TOKEN}`,
 * });
 * serve({ fetch: handler, port: 8080 }); // @hono/node-server
 * ```
 */
export function createAuthzHandler(
  port: AuthorizationPort,
  options: AuthzHandlerOptions = {},
): (request: Request) => Promise<Response> {
  parseOptions("createAuthzHandler", optionsSchema, options);
  const basePath = (options.basePath ?? "/v1/authz").replace(/\/+$/, "");
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const toSubject = (principal: unknown, allowWildcard = false): Subject => {
    let subject: Subject;
    if (options.subject) subject = options.subject(principal);
    else {
      const parsed = defaultPrincipal.safeParse(principal);
      if (!parsed.success) throw new BadRequest("Invalid request: principal.");
      subject = parsed.data;
    }
    try {
      assertSubject(subject, allowWildcard);
    } catch {
      throw new BadRequest("Invalid request: principal.");
    }
    return subject;
  };

  async function run(op: WireOp, body: unknown): Promise<Response> {
    const parsed = wireRequests[op].safeParse(body);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "body"))].join(
        ", ",
      );
      throw new BadRequest(`Invalid request: ${fields}.`);
    }
    const input = parsed.data as Record<string, unknown>;
    const resource = input["resource"] ? fromWire(input["resource"] as WireResource) : undefined;
    switch (op) {
      case "check": {
        const allowed = await port.check({
          subject: toSubject(input["principal"]),
          resource: resource as Resource,
          permission: input["operation"] as string,
        });
        if (allowed !== true && allowed !== false) throw new Error("port answered a non-boolean");
        return json(allowed ? 200 : 403, { allowed });
      }
      case "grant":
      case "revoke": {
        const req = {
          subject: toSubject(input["principal"], true),
          resource: resource as Resource,
          ...(input["relation"] ? { relation: input["relation"] as string } : {}),
        };
        return json(200, await (op === "grant" ? port.grant(req) : port.revoke(req)));
      }
      case "register": {
        const parent = input["parent"] as WireResource | null | undefined;
        return json(
          200,
          await port.register({
            subject: toSubject(input["principal"]),
            resource: resource as Resource,
            ...(parent ? { parent: fromWire(parent) } : {}),
          }),
        );
      }
      case "deregister":
        return json(200, await port.deregister({ resource: resource as Resource }));
      case "search": {
        const ids = await port.lookup({
          subject: toSubject(input["principal"]),
          resourceType: input["filter_resource"] as string,
          permission: input["filter_operation"] as string,
        });
        if (ids === null) return json(200, { unscoped: true });
        if (!Array.isArray(ids)) throw new Error("port answered a non-array");
        return json(200, { items: ids });
      }
    }
  }

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
      if (options.authenticate && !(await options.authenticate(request))) {
        return reply(toErrorResponse(new UnauthenticatedError()));
      }
      const text = await readCapped(request, maxBodyBytes);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new BadRequest("Invalid JSON body.");
      }
      return await run(op as WireOp, body);
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
