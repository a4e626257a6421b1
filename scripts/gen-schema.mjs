// Regenerates src/spicedb/agentex-schema.ts from schema/agentex.zed (the single source).
import { readFileSync, writeFileSync } from "node:fs";

const zed = readFileSync(new URL("../schema/agentex.zed", import.meta.url), "utf8");
const out = `// Generated from schema/agentex.zed by scripts/gen-schema.mjs: edit the .zed file, not this.

/**
 * The agentex SpiceDB schema: user, service_account, tenant (members), agent, agent_api_key
 * and task. \`tenant_gate\` confines every permission to members of the owning tenant, and
 * api key update/delete require \`parent_agent->update\` (two-factor mutation).
 * Also shipped as \`fgac/schema/agentex.zed\`.
 *
 * @example
 * \`\`\`ts
 * await client.promises.writeSchema({ schema: agentexSchema }); // a v1.NewClient(...)
 * const spicedb = await startEmbeddedSpiceDB({ schema: agentexSchema }); // or one for tests
 * \`\`\`
 */
export const agentexSchema: string = ${JSON.stringify(zed)};
`;
const target = new URL("../src/spicedb/agentex-schema.ts", import.meta.url);
if (process.argv.includes("--check")) {
  if (readFileSync(target, "utf8") !== out) {
    console.error("src/spicedb/agentex-schema.ts is stale: run node scripts/gen-schema.mjs");
    process.exit(1);
  }
} else {
  writeFileSync(target, out);
}
