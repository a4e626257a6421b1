/**
 * SpiceDB backend: {@link spicedbPort} over `@authzed/authzed-node`, an embedded in-process
 * SpiceDB for zero-setup development and tests, and the agentex schema.
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
