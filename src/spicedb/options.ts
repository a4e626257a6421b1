// What spicedbPort is given: the connection (a client, or an endpoint to connect to) and the
// options (type map, relations, consistency, deadline, bulk size, caps), with their validation.
import type { v1 } from "@authzed/authzed-node";
import * as z from "zod/mini";
import { ConfigurationError } from "../core/errors.js";
import { parseOptions } from "../core/options.js";
import { type Consistency, consistencySchema } from "../core/port.js";
import { isValidRelationName, isValidTypeName } from "../core/resources.js";

/**
 * Deadline of every SpiceDB call, in ms, unless `deadlineMs` says otherwise.
 *
 * @internal
 */
export const DEFAULT_DEADLINE_MS = 5000;

/**
 * Children of one parent a scoped lookup reads at most, unless `maxParentChildren` says
 * otherwise: with the row that tells whether there are more, 1000 rows, the most SpiceDB answers
 * to one `ReadRelationships` call by default. (Paging further is no way out: SpiceDB ties a
 * cursor to the limit it was read with, so the last page could not ask for fewer rows.)
 *
 * @internal
 */
export const DEFAULT_MAX_PARENT_CHILDREN = 999;

/**
 * Ids one `LookupResources` may answer, unless `maxLookupIds` says otherwise: the authorizer's
 * default `limits.lookupIds`.
 *
 * @internal
 */
export const DEFAULT_MAX_LOOKUP_IDS = 100_000;

/**
 * Coalesced check calls in flight at once, unless `coalesce.maxInFlight` says otherwise.
 *
 * @internal
 */
export const DEFAULT_MAX_IN_FLIGHT = 2;

/**
 * The part of an `@authzed/authzed-node` client the port uses: `NewClient(...)` and the
 * embedded SpiceDB's `permissions()` both fit.
 *
 * @example
 * ```ts
 * import { v1 } from "@authzed/authzed-node";
 *
 * const client: SpiceDBClient = v1.NewClient("secret", "spicedb:50051");
 * const port = spicedbPort({ client });
 * ```
 *
 * The promise methods take no abort signal: a unary call in flight when the caller gives up is
 * abandoned (the port rejects at once and makes no further call), not cancelled on the wire.
 * `LookupResources` streams are cancelled. Pass `{ endpoint, token }` instead and the port
 * cancels every call on the wire.
 */
export interface SpiceDBClient {
  /** Promise-style unary calls. */
  promises: Pick<
    v1.ZedPromiseClientInterface,
    | "checkPermission"
    | "checkBulkPermissions"
    | "writeRelationships"
    | "deleteRelationships"
    | "readRelationships"
  > &
    /** ReadSchema, for `verifySchema` (the full client and the embedded one answer it). */
    Partial<Pick<v1.ZedPromiseClientInterface, "readSchema">>;
  /** Streaming LookupResources (takes a gRPC deadline). */
  lookupResources: v1.ZedClientInterface["lookupResources"];
  /** Closes the connection, when the port created it. */
  close?: () => void;
}

/**
 * How {@link spicedbPort} reaches SpiceDB.
 *
 * @example
 * ```ts
 * const local: SpiceDBConnection = { endpoint: "localhost:50051", token: "secret", insecure: true };
 * const embedded: SpiceDBConnection = {
 *   client: (await startEmbeddedSpiceDB({ schema: agentexSchema })).client,
 * };
 * ```
 */
export type SpiceDBConnection =
  | { client: SpiceDBClient }
  | { endpoint: string; token: string; insecure?: boolean };

/**
 * Options of {@link spicedbPort}.
 *
 * @example
 * ```ts
 * const options: SpiceDBPortOptions = {
 *   types: { api_key: "agent_api_key" },
 *   parentRelations: { api_key: "parent_agent", agent: "tenant" },
 *   deadlineMs: 2000,
 *   maxParentChildren: 200,
 * };
 * ```
 */
export interface SpiceDBPortOptions {
  /** Library type -> schema definition, e.g. `{ api_key: "agent_api_key" }`. Applies to subjects too. */
  types?: Record<string, string>;
  /** Relation written by `register` and the default of `grant`/`revoke` (default `"owner"`). */
  ownerRelation?: string;
  /** Resource type -> relation to its parent, e.g. `{ api_key: "parent_agent", agent: "tenant" }`. */
  parentRelations?: Record<string, string>;
  /**
   * Default read consistency. Default: at least as fresh as this port's newest write
   * (read-your-writes), `minimizeLatency` before any write. "Newest" is by revision when the
   * datastore's revisions are integers, else by time; while overlapping writes (or a write that
   * failed as unavailable) leave it unknown, reads are `fullyConsistent` until the next write.
   */
  consistency?: Consistency;
  /**
   * gRPC deadline in ms (default 5000): of every call when the port connects to `endpoint`
   * itself, and of `LookupResources` on a client you pass in (give that client its own
   * deadline interceptor, e.g. `deadlineInterceptor` from `@authzed/authzed-node`).
   */
  deadlineMs?: number;
  /** Items per CheckBulkPermissions call (default 500, SpiceDB's default limit is 1000). */
  bulkChunkSize?: number;
  /**
   * A lookup under a parent reads the parent's children (the edges pointing at it), then checks
   * them in bulk: its cost follows what the parent holds. It reads at most this many children
   * plus one, in one `ReadRelationships` call (default and maximum 999: 1000 rows, the most
   * SpiceDB answers to one call by default). A parent with more is looked up the other
   * way round: `LookupResources` for the subject (capped by `maxLookupIds`), then one bulk check
   * per id of whether its parent edge points at this parent (`child#relation@parent`, a relation
   * checked as SpiceDB checks permissions). Both ways answer the same ids for the parent edges
   * `register` writes (plain `type:id` subjects, no caveat, no wildcard); on a caveated parent edge
   * the second way is stricter, never wider. The work stays bounded either way.
   */
  maxParentChildren?: number;
  /**
   * Most ids one `LookupResources` may answer (default 100 000, the authorizer's
   * `limits.lookupIds`). Past it the stream is cancelled and the lookup throws
   * `ConfigurationError`: scope it by parent or page it. What the port holds stays bounded.
   */
  maxLookupIds?: number;
  /**
   * Coalesced checks (default on). Concurrent `check` calls, from any number of requests, made
   * within one event-loop turn (`true`, `{}`) or within `windowMs` of the first (at most 10)
   * go to SpiceDB as one `CheckBulkPermissions` per consistency requirement (a lone check as a
   * `CheckPermission`); identical questions of one batch share one answer. While
   * `maxInFlight` such calls are in flight (default 2), the next batch keeps gathering until
   * one returns (at most 25 ms more): fewer, larger calls cost less per check. Each caller keeps
   * its own outcome and its own cancellation; nothing is cached: a check asked after a
   * revocation never shares an answer sent before it. `false`: one call per check.
   */
  coalesce?: boolean | { windowMs?: number; maxInFlight?: number };
}

const typeName = z.string().check(z.refine(isValidTypeName, "invalid type name"));
const relationName = z.string().check(z.refine(isValidRelationName, "invalid relation name"));
/** An integer from `min` to `max`. */
const intIn = (min: number, max: number) => z.int().check(z.gte(min), z.lte(max));
const optionsSchema = z.object({
  types: z.optional(z.record(typeName, typeName)),
  ownerRelation: z.optional(relationName),
  parentRelations: z.optional(z.record(typeName, relationName)),
  consistency: z.optional(consistencySchema),
  deadlineMs: z.optional(z.int().check(z.positive())),
  bulkChunkSize: z.optional(intIn(1, 1000)),
  maxParentChildren: z.optional(intIn(1, 999)),
  maxLookupIds: z.optional(intIn(1, 10_000_000)),
  coalesce: z.optional(
    z.union([
      z.boolean(),
      z.object({
        windowMs: z.optional(z.number().check(z.gte(0), z.lte(10))),
        maxInFlight: z.optional(intIn(1, 64)),
      }),
    ]),
  ),
});
const connectionSchema = z.union([
  z.object({
    client: z.custom<SpiceDBClient>(
      (c) =>
        typeof c === "object" &&
        c !== null &&
        typeof (c as { promises?: unknown }).promises === "object",
    ),
  }),
  z.object({
    endpoint: z.string().check(z.minLength(1)),
    token: z.string(),
    insecure: z.optional(z.boolean()),
  }),
]);

/**
 * Checks what {@link spicedbPort} was given, options first.
 *
 * @throws `ConfigurationError` for invalid options or a connection of neither shape
 * @internal
 */
export function validateSpiceDBPortArgs(
  connection: SpiceDBConnection,
  options: SpiceDBPortOptions,
): void {
  parseOptions("spicedbPort", optionsSchema, options ?? {});
  if (!connectionSchema.safeParse(connection).success) {
    throw new ConfigurationError("spicedbPort: pass { client } or { endpoint, token, insecure? }");
  }
}
