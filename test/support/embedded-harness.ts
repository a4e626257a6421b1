// The embedded SpiceDB behind the port contract: agentexSchema with the membership seeding the
// contract needs, and a second instance whose port has another owner relation.
import type { AuthorizationPort } from "../../src/index.js";
import {
  agentexSchema,
  type EmbeddedSpiceDB,
  startEmbeddedSpiceDB,
} from "../../src/spicedb/index.js";

/** Docs with two relations that each grant read: the contract's non-default owner relation case. */
export const OWNER_RELATION_SCHEMA = `definition user {}

definition doc {
    relation owner: user
    relation admin: user
    permission read = owner + admin
}
`;

/** An empty embedded SpiceDB with agentexSchema, and the membership seeding the contract needs. */
export async function embeddedForContract(): Promise<{
  db: EmbeddedSpiceDB;
  addMember(userId: string, tenantId: string): Promise<void>;
  ownerRelationPort(relation: string): Promise<{ port: AuthorizationPort; close(): Promise<void> }>;
}> {
  const db = await startEmbeddedSpiceDB({ schema: agentexSchema });
  return {
    db,
    async addMember(userId, tenantId) {
      await db.port.grant({
        subject: { type: "user", id: userId },
        resource: { type: "tenant", id: tenantId },
        relation: "member",
      });
    },
    ownerRelationPort: (relation) => embeddedWithOwnerRelation(relation),
  };
}

/** A port whose `ownerRelation` is `relation`, over its own SpiceDB of {@link OWNER_RELATION_SCHEMA}. */
export async function embeddedWithOwnerRelation(
  relation: string,
): Promise<{ port: AuthorizationPort; close(): Promise<void> }> {
  const db = await startEmbeddedSpiceDB({
    schema: OWNER_RELATION_SCHEMA,
    portOptions: { ownerRelation: relation },
  });
  return { port: db.port, close: () => db.close() };
}
