/**
 * SpiceDB backend: {@link spicedbPort} over `@authzed/authzed-node`, an embedded in-process
 * SpiceDB for zero-setup development and tests, and the agentex schema.
 *
 * ```ts
 * import { createAuthorizer } from "fgac";
 * import { spicedbPort, startEmbeddedSpiceDB, verifySchema } from "fgac/spicedb";
 *
 * // Production: a SpiceDB server (TLS unless `insecure: true`).
 * const connection = { endpoint: "spicedb.internal:50051", token: process.env.SPICEDB_TOKEN! };
 * await verifySchema(connection, { resources: [document], portOptions }); // at startup
 * const authorizer = createAuthorizer({ port: spicedbPort(connection, portOptions) });
 *
 * // Development and tests: the real SpiceDB in-process, on a memory datastore.
 * const spicedb = await startEmbeddedSpiceDB({
 *   schema,
 *   relationships: ["document:d1#owner@user:alice"],
 * });
 * const devAuthorizer = createAuthorizer({ port: spicedb.port });
 * ```
 *
 * Guides: [Production](../../docs/production.md), [Testing your app](../../docs/testing.md).
 *
 * @module fgac/spicedb
 */
export { agentexSchema } from "./agentex-schema.js";
export {
  agentexPortOptions,
  type EmbeddedSpiceDB,
  type EmbeddedSpiceDBOptions,
  parseRelationship,
  type Relationship,
  startEmbeddedSpiceDB,
} from "./embedded.js";
export { mapSpiceDBError } from "./errors.js";
export type { SpiceDBClient, SpiceDBConnection, SpiceDBPortOptions } from "./options.js";
export { spicedbPort } from "./port.js";
export { type VerifySchemaOptions, verifySchema } from "./verify-schema.js";
