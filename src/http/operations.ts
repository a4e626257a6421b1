// The contract's operations, server side: a body validated and mapped to its port call, planned
// before it runs so that `authorize` decides on exactly what will run.
import { z } from "zod";
import type { AuthorizationPort } from "../core/port.js";
import { assertSubject, type Resource, type Subject } from "../core/resources.js";
import type { AuthorizeInput } from "./server.js";
import {
  type WireCheckBody,
  type WireDeregisterBody,
  type WireOp,
  type WireRegisterBody,
  type WireRelationBody,
  type WireResource,
  type WireSearchBody,
  wireRequests,
} from "./wire.js";

/** @internal A request off the contract: 400 with this (value-free) message. */
export class BadRequest extends Error {}

const defaultPrincipal = z
  .object({ type: z.string(), id: z.string(), relation: z.string().optional() })
  .transform(
    (p): Subject =>
      p.relation ? { type: p.type, id: p.id, relation: p.relation } : { type: p.type, id: p.id },
  );

/** @internal A JSON answer, never cached. */
export function json(status: number, body: unknown): Response {
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

/** Freezes a validated body (plain JSON) so `authorize` sees exactly what runs, unchanged. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** @internal One validated request: what `authorize` is asked about, and the call it would run. */
export interface Plan {
  input: Omit<AuthorizeInput, "caller">;
  execute(): Promise<Response>;
}

/**
 * @internal Plans each request for `port`: validates the body (BadRequest), maps principals with
 * `mapPrincipal` (default `{ type, id, relation? }`) and returns the call without running it.
 */
export function createPlanner(
  port: AuthorizationPort,
  mapPrincipal?: (principal: unknown) => Subject,
): (op: WireOp, raw: unknown) => Plan {
  const toSubject = (principal: unknown, allowWildcard = false): Subject => {
    let subject: Subject;
    if (mapPrincipal) subject = mapPrincipal(principal);
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
    // A copy: neither `authorize` nor the mapping can change it between the decision and the call.
    return deepFreeze(
      subject.relation === undefined
        ? { type: subject.type, id: subject.id }
        : { type: subject.type, id: subject.id, relation: subject.relation },
    );
  };

  /** Validates the body and maps it to the port call, without running it. */
  function plan(op: WireOp, raw: unknown): Plan {
    const parsed = wireRequests[op].safeParse(raw);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "body"))].join(
        ", ",
      );
      throw new BadRequest(`Invalid request: ${fields}.`);
    }
    const body = deepFreeze(parsed.data);
    switch (op) {
      case "check": {
        const b = body as WireCheckBody;
        const subject = toSubject(b.principal);
        const req = { subject, resource: fromWire(b.resource), permission: b.operation };
        return {
          input: { op, body: b, subject },
          async execute() {
            const allowed = await port.check(req);
            if (allowed !== true && allowed !== false) {
              throw new Error("port answered a non-boolean");
            }
            return json(allowed ? 200 : 403, { allowed });
          },
        };
      }
      case "grant":
      case "revoke": {
        const b = body as WireRelationBody;
        const subject = toSubject(b.principal, true);
        const req = {
          subject,
          resource: fromWire(b.resource),
          ...(b.relation ? { relation: b.relation } : {}),
        };
        return {
          input: { op, body: b, subject },
          execute: async () =>
            json(200, await (op === "grant" ? port.grant(req) : port.revoke(req))),
        };
      }
      case "register": {
        const b = body as WireRegisterBody;
        const subject = toSubject(b.principal);
        const req = {
          subject,
          resource: fromWire(b.resource),
          ...(b.parent ? { parent: fromWire(b.parent) } : {}),
        };
        return {
          input: { op, body: b, subject },
          execute: async () => json(200, await port.register(req)),
        };
      }
      case "deregister": {
        const b = body as WireDeregisterBody;
        const req = { resource: fromWire(b.resource) };
        return {
          input: { op, body: b },
          execute: async () => json(200, await port.deregister(req)),
        };
      }
      case "search": {
        const b = body as WireSearchBody;
        const subject = toSubject(b.principal);
        const req = { subject, resourceType: b.filter_resource, permission: b.filter_operation };
        return {
          input: { op, body: b, subject },
          async execute() {
            const ids = await port.lookup(req);
            if (ids === null) return json(200, { unscoped: true });
            if (!Array.isArray(ids)) throw new Error("port answered a non-array");
            return json(200, { items: ids });
          },
        };
      }
    }
  }

  return plan;
}
