// npm run reconcile: compares the example service's rows (agents, api keys) with SpiceDB's
// registrations, prints what it found, and repairs it. PGlite and the embedded SpiceDB by
// default (a demo: seeded, then two orphans made the way failures make them); DATABASE_URL and
// SPICEDB_ENDPOINT for real ones.
import {
  type AuthorizationPort,
  agent,
  apiKey,
  type ReconcileReport,
  type ResourceKind,
  reconcile,
  user,
} from "fgac";
import { agentexPortOptions, agentexSchema, spicedbPort, startEmbeddedSpiceDB } from "fgac/spicedb";
import { createDb, type Db, openSql } from "./shared/db.js";
import { DEMO, startDeps } from "./shared/setup.js";

const dryRun = process.argv.includes("--dry-run");
const demo = !process.env["DATABASE_URL"] && !process.env["SPICEDB_ENDPOINT"];

/** The database and SpiceDB to reconcile, as they are (nothing is reset or seeded). */
async function connect(): Promise<{ db: Db; port: AuthorizationPort; close(): Promise<void> }> {
  const db = await createDb(await openSql());
  const endpoint = process.env["SPICEDB_ENDPOINT"];
  if (endpoint) {
    const port = spicedbPort(
      {
        endpoint,
        token: process.env["SPICEDB_TOKEN"] ?? "",
        insecure: process.env["SPICEDB_INSECURE"] === "true",
      },
      agentexPortOptions,
    );
    const close = async () => {
      await port.close?.();
      await db.close();
    };
    return { db, port, close };
  }
  const spicedb = await startEmbeddedSpiceDB({ schema: agentexSchema });
  const close = async () => {
    await spicedb.close();
    await db.close();
  };
  return { db, port: spicedb.port, close };
}

/**
 * The demo: the seeded service, then a key row whose registration is gone (a register that
 * timed out after the row was restored by hand, say) and a registration whose row never landed
 * (an insert that failed, and a compensation that failed too).
 */
async function demoStores(): Promise<{ db: Db; port: AuthorizationPort; close(): Promise<void> }> {
  const deps = await startDeps();
  const agentId = Object.keys(DEMO.agents)[0] as string;
  await deps.db.insertApiKey({
    id: "key-without-registration",
    agent_id: agentId,
    name: "restored-by-hand",
    secret: "agx_demo_restored",
    owner: user("alice"),
  });
  await deps.port.register({
    subject: user("alice"),
    resource: apiKey("key-without-row"),
    parent: agent(agentId),
  });
  console.log(
    "demo: seeded, then made two orphans: row key-without-registration, registration key-without-row\n",
  );
  return deps;
}

function print(kind: ResourceKind, report: ReconcileReport): void {
  const line = (what: string, found: ReconcileReport["rowsWithoutRegistration"]) => {
    const listed = found.listed
      .map((f) => `${f.id} (${f.fixed ? "fixed" : (f.reason ?? "reported")})`)
      .join(", ");
    console.log(
      `  ${what}: ${found.count} found, ${found.fixed} fixed${listed ? `: ${listed}` : ""}`,
    );
  };
  console.log(`${kind.type}: ${report.rows} rows, ${report.registrations} registrations`);
  line("rows without registration", report.rowsWithoutRegistration);
  line("registrations without row", report.registrationsWithoutRow);
}

const stores = demo ? await demoStores() : await connect();
try {
  // No create is in flight in the demo; a live service needs the default (120 s), or longer
  // than its creates may take.
  const graceMs = Number(process.env["RECONCILE_GRACE_MS"] ?? (demo ? 500 : 120_000));
  console.log(
    `${dryRun ? "reporting" : "reconciling"} (a registration without a row is removed only if it still has none ${graceMs} ms later)`,
  );
  const kinds = [
    [agent, () => stores.db.agentRows()],
    [apiKey, () => stores.db.apiKeyRows()],
  ] as const;
  for (const [kind, rows] of kinds) {
    const report = await reconcile({ port: stores.port, kind, rows, fix: !dryRun, graceMs });
    print(kind, report);
  }
} finally {
  await stores.close();
}
