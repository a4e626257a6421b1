// The contract's operations, server side: a body validated and mapped to its port call, planned
// before it runs so that `authorize` decides on exactly what will run.
import * as z from "zod/mini";
import { AuthorizationError, isFgacError, toErrorResponse } from "../core/errors.js";
import type { AuthorizationPort, WriteResult } from "../core/port.js";
import { assertResource, assertSubject, type Resource, type Subject } from "../core/resources.js";
import { encodableSelector, idToSelector, selectorToId } from "./selectors.js";
import type { AuthorizeInput, DefaultParentInput, TypeLevelInput } from "./server.js";
import {
  TYPE_LEVEL_SELECTOR,
  type WireCheckBody,
  type WireDeregisterBody,
  type WireOp,
  type WireRegisterBody,
  type WireRelationBody,
  type WireResource,
  type WireSearchBody,
  wireRequests,
  wireRequestsFor,
} from "./wire.js";

/** @internal A request off the contract: 400 with this (value-free) message. */
export class BadRequest extends Error {}

const defaultPrincipal = z.pipe(
  z.object({ type: z.string(), id: z.string(), relation: z.optional(z.string()) }),
  z.transform(
    (p): Subject =>
      p.relation ? { type: p.type, id: p.id, relation: p.relation } : { type: p.type, id: p.id },
  ),
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

/** What agentex-auth answers every success with; a check adds `allowed`, a write its token. */
const SUCCESS = { success: true, metadata: null } as const;

/** A write's answer: success, and the port's consistency token when it has one. */
function written(result: WriteResult): Response {
  return json(200, result.token ? { ...SUCCESS, token: result.token } : SUCCESS);
}

/** A denied check: the library's error body, whose `message` agentex shows its caller. */
function denied(): Response {
  const { status, headers, body } = toErrorResponse(new AuthorizationError());
  return new Response(body, { status, headers });
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
  /** Runs the call for `caller` (what `authenticate` returned; the type-level hook gets it). */
  execute(caller: unknown): Promise<Response>;
}

/** @internal What the planner needs from `createAuthzHandler`'s options. */
export interface PlannerOptions {
  /** Maps a principal to a subject (default `{ type, id, relation? }`). */
  subject?: ((principal: unknown) => Subject) | undefined;
  /** Decides checks whose selector is `*`; without it they are denied. */
  typeLevel?: ((input: TypeLevelInput) => boolean | Promise<boolean>) | undefined;
  /** The parent of a register whose body names none. */
  defaultParent?: ((input: DefaultParentInput) => Resource | null | undefined) | undefined;
  /** Stores selectors that are not valid ids encoded (see selectors.ts). */
  encodeSelectors?: boolean | undefined;
}

/**
 * @internal Plans each request for `port`: validates the body (BadRequest), maps principals and
 * selectors, and returns the call without running it.
 */
export function createPlanner(
  port: AuthorizationPort,
  options: PlannerOptions = {},
): (op: WireOp, raw: unknown) => Plan {
  const { subject: mapPrincipal, typeLevel, defaultParent, encodeSelectors } = options;
  const requests = encodeSelectors ? wireRequestsFor(encodableSelector) : wireRequests;

  const toSubject = (principal: unknown, allowWildcard = false): Subject => {
    let subject: Subject;
    if (mapPrincipal) {
      try {
        subject = mapPrincipal(principal);
      } catch (error) {
        // A library error is the mapping's own answer (a 401, say); anything else: bad input.
        if (isFgacError(error)) throw error;
        throw new BadRequest("Invalid request: principal.");
      }
    } else {
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

  /** The port's resource for a wire resource: its selector encoded when so configured. */
  const fromWire = (r: WireResource): Resource => {
    const id = encodeSelectors ? selectorToId(r.selector) : r.selector;
    // Validation admitted only selectors that map to an id: this is a guard, not a path.
    if (id === undefined) throw new BadRequest("Invalid request: resource.selector.");
    return { type: r.type, id };
  };

  /** The ids a lookup answered, as the wire's selectors (ids no selector encodes are dropped). */
  const toSelectors = (ids: readonly string[]): string[] => {
    if (!encodeSelectors) return [...ids];
    return ids.map(idToSelector).filter((s): s is string => s !== undefined);
  };

  /** The parent a register runs with: the body's, else `defaultParent`'s (validated). */
  const parentOf = (b: WireRegisterBody, subject: Subject, caller: unknown) => {
    if (b.parent) return fromWire(b.parent);
    const parent = defaultParent?.({
      caller,
      principal: b.principal,
      subject,
      resource: b.resource,
    });
    if (parent == null) return undefined;
    try {
      assertResource(parent);
    } catch {
      // Derived from the request (an account id in the principal, say): the request is at fault.
      throw new BadRequest("Invalid request: parent.");
    }
    return { type: parent.type, id: parent.id };
  };

  /** Validates the body and maps it to the port call, without running it. */
  function plan(op: WireOp, raw: unknown): Plan {
    const parsed = requests[op].safeParse(raw);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "body"))].join(
        ", ",
      );
      throw new BadRequest(`Invalid request: ${fields}.`);
    }
    const body = deepFreeze(parsed.data);
    switch (op) {
      case "check":
        return planCheck(body as WireCheckBody);
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
          execute: async () => {
            return written(await (op === "grant" ? port.grant(req) : port.revoke(req)));
          },
        };
      }
      case "register": {
        const b = body as WireRegisterBody;
        const subject = toSubject(b.principal);
        const resource = fromWire(b.resource);
        return {
          input: { op, body: b, subject },
          async execute(caller) {
            const parent = parentOf(b, subject, caller);
            return written(
              await port.register(parent ? { subject, resource, parent } : { subject, resource }),
            );
          },
        };
      }
      case "deregister": {
        const b = body as WireDeregisterBody;
        // agentex sends its principal here too; older clients sent null (nobody in particular).
        const subject = b.principal == null ? undefined : toSubject(b.principal);
        const req = { resource: fromWire(b.resource), ...(subject ? { subject } : {}) };
        return {
          input: subject ? { op, body: b, subject } : { op, body: b },
          execute: async () => written(await port.deregister(req)),
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
            // `items: []` too, so a client that reads only `items` sees nothing, not everything.
            if (ids === null) return json(200, { unscoped: true, items: [], ...SUCCESS });
            if (!Array.isArray(ids)) throw new Error("port answered a non-array");
            return json(200, { items: toSelectors(ids), ...SUCCESS });
          },
        };
      }
    }
  }

  /** A check: of one resource through the port, or type-level (`*`) through `typeLevel`. */
  function planCheck(b: WireCheckBody): Plan {
    const subject = toSubject(b.principal);
    const input = { op: "check", body: b, subject } as const;
    const allowed = () => json(200, { ...SUCCESS, allowed: true });
    if (b.resource.selector === TYPE_LEVEL_SELECTOR) {
      const { type: resourceType } = b.resource;
      const { principal } = b;
      return {
        input,
        async execute(caller) {
          // No hook: nobody decided that this principal may create these, so it may not.
          if (!typeLevel) return denied();
          const hookInput = { caller, principal, subject, resourceType, operation: b.operation };
          // Anything but exactly true denies, as `authorize` does.
          return (await typeLevel(hookInput)) === true ? allowed() : denied();
        },
      };
    }
    const req = { subject, resource: fromWire(b.resource), permission: b.operation };
    return {
      input,
      async execute() {
        const answer = await port.check(req);
        if (answer !== true && answer !== false) throw new Error("port answered a non-boolean");
        return answer ? allowed() : denied();
      },
    };
  }

  return plan;
}
