// The wire of the agentex-auth HTTP contract: operations, request bodies and answers, as zod
// schemas shared by the client (httpPort) and the server (createAuthzHandler).
import { z } from "zod";
import { isValidId, isValidRelationName, isValidTypeName } from "../core/resources.js";

/** The operations of the contract: `POST {base}/{op}`. */
export const WIRE_OPS = ["check", "grant", "revoke", "register", "deregister", "search"] as const;

/** One operation of the contract. */
export type WireOp = (typeof WIRE_OPS)[number];

const typeName = z.string().refine(isValidTypeName, "must be a type name");
const objectId = z.string().refine(isValidId, "must be a valid object id");
const operation = z.string().refine(isValidRelationName, "must be a permission or relation name");

/** @internal `{ type, selector }` on the wire. */
export const wireResource = z.object({ type: typeName, selector: objectId });

/** A resource on the wire: `{ type, selector }`, the selector being the object id. */
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
 * The body of a `deregister`, as validated.
 *
 * @example
 * ```ts
 * const body: WireDeregisterBody = { principal: null, resource: { type: "api_key", selector: "k1" } };
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
const principal = z.unknown().refine((p) => p !== undefined, "is required");

/** @internal Request bodies, per operation. */
export const wireRequests = {
  check: z.object({ principal, resource: wireResource, operation }),
  grant: z.object({
    principal,
    resource: wireResource,
    relation: operation.optional(),
    operation: z.string().optional(),
  }),
  revoke: z.object({
    principal,
    resource: wireResource,
    relation: operation.optional(),
    operation: z.string().optional(),
  }),
  register: z.object({
    principal,
    resource: wireResource,
    parent: wireResource.nullable().optional(),
  }),
  deregister: z.object({ principal: z.unknown().optional(), resource: wireResource }),
  search: z.object({ principal, filter_resource: typeName, filter_operation: operation }),
} as const;

/**
 * The search answer: exactly `{ items: string[] }` (valid ids) or exactly `{ unscoped: true }`.
 * `{"items": null}`, `{"items": "abc"}`, `{"unscoped": "true"}` or both keys are rejected.
 */
export const wireSearchAnswer = z.union([
  z.object({ items: z.array(objectId) }).strict(),
  z.object({ unscoped: z.literal(true) }).strict(),
]);

/** A write answer: an optional consistency token. */
export const wireWriteAnswer = z.object({ token: z.string().min(1).optional() }).passthrough();
