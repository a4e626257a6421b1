import { agentexSchema, startEmbeddedSpiceDB } from "../src/spicedb/index.js";
import { memoryPort } from "../src/testing/index.js";
import { describePortContract } from "./support/port-contract.js";

describePortContract("spicedbPort (embedded, agentexSchema)", async () => {
  const db = await startEmbeddedSpiceDB({ schema: agentexSchema });
  return {
    port: db.port,
    async addMember(userId, tenantId) {
      await db.port.grant({
        subject: { type: "user", id: userId },
        resource: { type: "tenant", id: tenantId },
        relation: "member",
      });
    },
    breakBackend: () => db.close(),
    close: () => db.close(),
  };
});

describePortContract("memoryPort", async () => {
  const port = memoryPort({ parentRelations: { api_key: "parent_agent", agent: "tenant" } });
  return {
    port,
    async addMember() {},
    async breakBackend() {
      port.fail();
    },
    async close() {},
  };
});
