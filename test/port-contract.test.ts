import { memoryPort } from "../src/testing/index.js";
import { embeddedForContract } from "./support/embedded-harness.js";
import { describePortContract } from "./support/port-contract.js";

describePortContract("spicedbPort (embedded, agentexSchema)", async () => {
  const { db, addMember, ownerRelationPort } = await embeddedForContract();
  return {
    port: db.port,
    addMember,
    breakBackend: () => db.close(),
    // api keys take only agents as parent_agent: SpiceDB rejects the whole write.
    rejectedParent: { type: "tenant", id: "acme" },
    ownerRelationPort,
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
    async ownerRelationPort(relation) {
      return { port: memoryPort({ ownerRelation: relation }), async close() {} };
    },
    async close() {},
  };
});
