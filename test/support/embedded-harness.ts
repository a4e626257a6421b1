import {
  agentexSchema,
  type EmbeddedSpiceDB,
  startEmbeddedSpiceDB,
} from "../../src/spicedb/index.js";

/** An empty embedded SpiceDB with agentexSchema, and the membership seeding the contract needs. */
export async function embeddedForContract(): Promise<{
  db: EmbeddedSpiceDB;
  addMember(userId: string, tenantId: string): Promise<void>;
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
  };
}
