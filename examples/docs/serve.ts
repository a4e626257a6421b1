// npm run example -- docs [express|fastify|hono]: the docs service on PORT (default 3000), with
// seeded demo data, on PGlite + embedded SpiceDB unless DATABASE_URL / SPICEDB_ENDPOINT are set.
import { type Framework, serveDocs } from "../shared/server.js";
import { startDocsDeps } from "./shared/setup.js";

/** Starts the docs service on `framework` and prints what to try. */
export async function main(framework: string): Promise<void> {
  if (!["express", "fastify", "hono"].includes(framework)) {
    console.error(`unknown framework "${framework}": use express, fastify or hono`);
    process.exit(2);
  }
  const deps = await startDocsDeps();
  const served = await serveDocs(framework as Framework, deps, {
    port: Number(process.env["PORT"] ?? 3000),
  });
  const base = `http://127.0.0.1:${served.port}`;
  console.log(`docs example (${framework}) on ${base} (pid ${process.pid})`);
  console.log(`
Seeded: folders engineering (alice; viewers bob, eve, service account indexer) > specs, and hr
(mallory). No permission is called "read" here: seeing is "view". Try:

  curl -s ${base}/documents -H 'x-user-id: bob'                              # what bob may view
  curl -s ${base}/documents/roadmap -H 'x-user-id: bob'                      # 200 (folder viewer)
  curl -s ${base}/documents/salaries -H 'x-user-id: bob'                     # 404, hidden
  curl -s ${base}/documents/no-such-doc -H 'x-user-id: bob'                  # the same 404
  curl -s -X PATCH ${base}/documents/roadmap -H 'x-user-id: bob' \\
       -H 'content-type: application/json' -d '{"title":"x"}'                 # 403: views, cannot edit
  curl -s -X DELETE ${base}/documents/eve-notes -H 'x-user-id: eve'          # 403: owner, no edit on folder
  curl -s ${base}/documents -H 'x-service-account-id: indexer'               # a service account
  curl -s -X POST ${base}/documents -H 'x-user-id: alice' -H 'content-type: application/json' \\
       -d '{"folder_id":"specs","title":"New spec"}'                           # 201, registered first

Ctrl-C to stop.`);
  const shutdown = async () => {
    await served.close();
    await deps.close();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}
