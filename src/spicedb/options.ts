// What spicedbPort is given: the connection (a client, or an endpoint to connect to) and the
// options (type map, relations, consistency, deadline, bulk size), with their validation.
import type { v1 } from "@authzed/authzed-node";
import { z } from "zod";
import { ConfigurationError } from "../core/errors.js";
import { type Consistency, consistencySchema } from "../core/port.js";
import { isValidRelationName, isValidTypeName } from "../core/resources.js";

/**
 * Deadline of every SpiceDB call, in ms, unless `deadlineMs` says otherwise.
 *
 * @internal
 */
export const DEFAULT_DEADLINE_MS = 5000;

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
  >;
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
}

const nameMap = z.record(
  z.string().refine(isValidTypeName, "invalid type name"),
  z.string().refine(isValidTypeName, "invalid type name"),
);
const relationMap = z.record(
  z.string().refine(isValidTypeName, "invalid type name"),
  z.string().refine(isValidRelationName, "invalid relation name"),
);
const optionsSchema = z.object({
  types: nameMap.optional(),
  ownerRelation: z.string().refine(isValidRelationName, "invalid relation name").optional(),
  parentRelations: relationMap.optional(),
  consistency: consistencySchema.optional(),
  deadlineMs: z.number().int().positive().optional(),
  bulkChunkSize: z.number().int().min(1).max(1000).optional(),
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
  z.object({ endpoint: z.string().min(1), token: z.string(), insecure: z.boolean().optional() }),
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
  const parsedOptions = optionsSchema.safeParse(options);
  if (!parsedOptions.success) {
    throw new ConfigurationError(`spicedbPort: invalid options: ${parsedOptions.error.message}`);
  }
  if (!connectionSchema.safeParse(connection).success) {
    throw new ConfigurationError("spicedbPort: pass { client } or { endpoint, token, insecure? }");
  }
}
