// Starts what an example service needs: the database (PGlite or DATABASE_URL), SpiceDB
// (embedded, or SPICEDB_ENDPOINT), an authorizer, and the demo tenants, users and data.
import {
  type AuthorizationPort,
  type Authorizer,
  agent,
  apiKey,
  type CollapsePolicy,
  createAuthorizer,
  type DualWriteOptions,
  type Logger,
  type TimingOptions,
  tenant,
  user,
} from "fgac";
import { agentexPortOptions, agentexSchema, spicedbPort, startEmbeddedSpiceDB } from "fgac/spicedb";
import { createDb, type Db, openSql } from "./db.js";

/** The demo identities (set as `x-user-id` by the gateway in front of the service). */
export const DEMO = {
  tenants: { acme: ["alice", "bob", "carol"], globex: ["mallory"] },
  agents: {
    "support-bot": { tenant: "acme", owner: "alice" },
    "billing-bot": { tenant: "globex", owner: "mallory" },
  },
  keys: {
    "key-alice": { agent: "support-bot", owner: "alice", name: "alice-ci" },
    "key-bob": { agent: "support-bot", owner: "bob", name: "bob-laptop" },
    "key-mallory": { agent: "billing-bot", owner: "mallory", name: "mallory-prod" },
  },
} as const;

/** Everything a service instance uses. */
export interface Deps {
  db: Db;
  port: AuthorizationPort;
  authorizer: Authorizer;
  dualWrite?: DualWriteOptions;
  close(): Promise<void>;
}

/** Options of {@link startDeps}. */
export interface StartOptions {
  /** Wraps the SpiceDB port (tests inject failures here). */
  wrapPort?: (port: AuthorizationPort) => AuthorizationPort;
  logger?: Logger;
  collapse?: CollapsePolicy;
  /** Reuse a database (tests share one PGlite per file); reset before seeding. */
  db?: Db;
  dualWrite?: DualWriteOptions;
  /** The authorizer's denial timing floor (default on; `false` turns it off, as the bench does). */
  timing?: TimingOptions | false;
  /**
   * Relationships written in bulk at start, in the schema's own names
   * (`"agent_api_key:k1#parent_agent@agent:a1"`): embedded SpiceDB only.
   */
  relationships?: readonly string[];
}

/** Starts SpiceDB and the database and seeds the demo data through the real dual write. */
export async function startDeps(options: StartOptions = {}): Promise<Deps> {
  const endpoint = process.env["SPICEDB_ENDPOINT"];
  let basePort: AuthorizationPort;
  let closeSpiceDB: () => Promise<void>;
  if (endpoint && options.relationships?.length) {
    throw new Error("startDeps: relationships are written in bulk to the embedded SpiceDB only");
  }
  if (endpoint) {
    basePort = spicedbPort(
      {
        endpoint,
        token: process.env["SPICEDB_TOKEN"] ?? "",
        insecure: process.env["SPICEDB_INSECURE"] === "true",
      },
      agentexPortOptions,
    );
    closeSpiceDB = async () => basePort.close?.();
  } else {
    const embedded = await startEmbeddedSpiceDB({
      schema: agentexSchema,
      relationships: [...(options.relationships ?? [])],
    });
    basePort = embedded.port;
    closeSpiceDB = embedded.close;
  }
  const ownDb = options.db === undefined;
  const db = options.db ?? (await createDb(await openSql()));
  await db.reset();
  await seed(basePort, db);
  const port = options.wrapPort ? options.wrapPort(basePort) : basePort;
  const authorizer = createAuthorizer({
    port,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.collapse ? { collapse: options.collapse } : {}),
    ...(options.timing !== undefined ? { timing: options.timing } : {}),
  });
  return {
    db,
    port,
    authorizer,
    ...(options.dualWrite ? { dualWrite: options.dualWrite } : {}),
    async close() {
      await closeSpiceDB();
      if (ownDb) await db.close();
    },
  };
}

async function seed(port: AuthorizationPort, db: Db): Promise<void> {
  for (const [t, users] of Object.entries(DEMO.tenants)) {
    for (const u of users)
      await port.grant({ subject: user(u), resource: tenant(t), relation: "member" });
  }
  await port.grant({ subject: user("bob"), resource: agent("support-bot"), relation: "viewer" });
  const authorizer = createAuthorizer({ port });
  for (const [id, a] of Object.entries(DEMO.agents)) {
    await authorizer.forSubject(user(a.owner)).register(agent(id), { parent: tenant(a.tenant) });
    await db.insertAgent({ id, name: id, tenant_id: a.tenant, owner: user(a.owner) });
  }
  for (const [id, k] of Object.entries(DEMO.keys)) {
    await authorizer.forSubject(user(k.owner)).register(apiKey(id), { parent: agent(k.agent) });
    await db.insertApiKey({
      id,
      agent_id: k.agent,
      name: k.name,
      secret: `agx_demo_${id}`,
      owner: user(k.owner),
    });
  }
}
