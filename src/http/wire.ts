// The wire of the agentex-auth HTTP contract: operations, request bodies and answers, as zod
// schemas shared by the client (httpPort) and the server (createAuthzHandler).
import * as z from "zod/mini";
import { isValidId, isValidRelationName, isValidTypeName } from "../core/resources.js";

/**
 * The operations of the contract: `POST {base}/{op}`.
 *
 * @example
 * ```ts
 * const known = (WIRE_OPS as readonly string[]).includes(pathname.split("/").pop() ?? "");
 * ```
 */
export const WIRE_OPS = ["check", "grant", "revoke", "register", "deregister", "search"] as const;

/**
 * One operation of the contract.
 *
 * @example
 * ```ts
 * const op: WireOp = "search";
 * ```
 */
export type WireOp = (typeof WIRE_OPS)[number];

const typeName = z.string().check(z.refine(isValidTypeName, "must be a type name"));
const objectId = z.string().check(z.refine(isValidId, "must be a valid object id"));
const operation = z
  .string()
  .check(z.refine(isValidRelationName, "must be a permission or relation name"));

/**
 * A resource on the wire: `{ type, selector }`, the selector being the object id (`"*"` in a
 * type-level check).
 *
 * @example
 * ```ts
 * const resource: WireResource = { type: "agent", selector: "a1" };
 * ```
 */
export interface WireResource {
  type: string;
  selector: string;
}

/**
 * The body of a `check`, as validated.
 *
 * @example
 * ```ts
 * const body: WireCheckBody = { principal: { type: "user", id: "alice" }, resource: { type: "agent", selector: "a1" }, operation: "read" };
 * ```
 */
export interface WireCheckBody {
  readonly principal: unknown;
  readonly resource: WireResource;
  readonly operation: string;
}

/**
 * The body of a `grant` or `revoke`, as validated: no `relation` means the port's owner relation.
 *
 * @example
 * ```ts
 * const body: WireRelationBody = { principal, resource: { type: "agent", selector: "a1" }, relation: "viewer", operation: "create" };
 * ```
 */
export interface WireRelationBody {
  readonly principal: unknown;
  readonly resource: WireResource;
  readonly relation?: string;
  readonly operation?: string;
}

/**
 * The body of a `register`, as validated.
 *
 * @example
 * ```ts
 * const body: WireRegisterBody = { principal, resource: { type: "api_key", selector: "k1" }, parent: { type: "agent", selector: "a1" } };
 * ```
 */
export interface WireRegisterBody {
  readonly principal: unknown;
  readonly resource: WireResource;
  readonly parent?: WireResource | null;
}

/**
 * The body of a `deregister`, as validated. agentex sends the principal, as on every call;
 * older clients sent `null`.
 *
 * @example
 * ```ts
 * const body: WireDeregisterBody = { principal: { user_id: "u1" }, resource: { type: "api_key", selector: "k1" } };
 * ```
 */
export interface WireDeregisterBody {
  readonly principal?: unknown;
  readonly resource: WireResource;
}

/**
 * The body of a `search`, as validated.
 *
 * @example
 * ```ts
 * const body: WireSearchBody = { principal, filter_resource: "api_key", filter_operation: "read" };
 * ```
 */
export interface WireSearchBody {
  readonly principal: unknown;
  readonly filter_resource: string;
  readonly filter_operation: string;
}

/** The principal is the service's business: any JSON value the `principal` mapping produces. */
const principal = z.unknown().check(z.refine((p) => p !== undefined, "is required"));

/**
 * @internal The selector of a type-level check ("may this principal create agents at all?").
 * Valid only as the resource of a `check`; everywhere else it is refused like any invalid id.
 */
export const TYPE_LEVEL_SELECTOR = "*";

/**
 * @internal The request bodies, per operation, for a server that reads selectors with
 * `selector`: as object ids (the default), or as any text it encodes into one.
 */
export function wireRequestsFor(selector: z.ZodMiniType<string>) {
  const resource = z.object({ type: typeName, selector });
  const relation = z.object({
    principal,
    resource,
    relation: z.optional(operation),
    operation: z.optional(z.string()),
  });
  return {
    check: z.object({
      principal,
      resource: z.object({
        type: typeName,
        selector: z.union([z.literal(TYPE_LEVEL_SELECTOR), selector]),
      }),
      operation,
    }),
    grant: relation,
    revoke: relation,
    register: z.object({ principal, resource, parent: z.optional(z.nullable(resource)) }),
    deregister: z.object({ principal: z.optional(z.unknown()), resource }),
    search: z.object({ principal, filter_resource: typeName, filter_operation: operation }),
  } as const;
}

/** @internal Request bodies, per operation, with selectors that are object ids. */
export const wireRequests = wireRequestsFor(objectId);

/** `success`, when a service sends it, must be exactly `true` (agentex-auth always sends it). */
const success = z.optional(z.literal(true));

/**
 * The search answer, as agentex-auth and its contract document give it. Either a list,
 * `{ items: string[] }` (valid ids; `unscoped`, if present, exactly `false`), or "no filter",
 * `{ unscoped: true }` (`items`, if present, empty). `success`, if present, is exactly `true`;
 * other keys (`metadata`) are ignored. Everything else is refused: `{"items": null}`,
 * `{"items": "abc"}`, `{"unscoped": "true"}`, `{"unscoped": true, "items": ["k1"]}` (which of
 * the two did the service mean?), `{"success": false, "items": []}`.
 *
 * @example
 * ```ts
 * wireSearchAnswer.parse({ items: ["k1"], success: true, metadata: null }); // a list
 * wireSearchAnswer.parse({ unscoped: true, items: [] }); // no filter
 * ```
 */
export const wireSearchAnswer = z.union([
  z.object({
    unscoped: z.literal(true),
    items: z.optional(z.array(objectId).check(z.maxLength(0))),
    success,
  }),
  z.object({ unscoped: z.optional(z.literal(false)), items: z.array(objectId), success }),
]);

/**
 * A write answer: a JSON object, with an optional consistency token (other keys, such as
 * agentex-auth's `success` and `metadata`, pass).
 *
 * @example
 * ```ts
 * wireWriteAnswer.parse({ success: true, metadata: null }); // no token
 * ```
 */
export const wireWriteAnswer = z.looseObject({
  token: z.optional(z.string().check(z.minLength(1))),
});
