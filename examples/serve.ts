// npm run example [-- express|fastify|hono]: one of the example services on PORT (default 3000),
// with seeded demo data, on PGlite + embedded SpiceDB unless DATABASE_URL / SPICEDB_ENDPOINT are set.
import { type Framework, serve } from "./shared/server.js";
import { DEMO, startDeps } from "./shared/setup.js";

// The second domain (examples/docs): npm run example -- docs [express|fastify|hono]. Its main
// serves until SIGINT/SIGTERM, which exit the process: nothing below runs.
if (process.argv[2] === "docs") {
  const { main } = await import("./docs/serve.js");
  await main(process.argv[3] ?? "express");
  await new Promise(() => {});
}

// An agentex-auth compatible service (examples/authz): npm run example -- authz. Same: serves
// until a signal exits the process.
if (process.argv[2] === "authz") {
  const { main } = await import("./authz/serve.js");
  await main();
  await new Promise(() => {});
}

const framework = process.argv[2] ?? "express";
if (!["express", "fastify", "hono"].includes(framework)) {
  console.error(`unknown framework "${framework}": use express, fastify or hono`);
  process.exit(2);
}
const deps = await startDeps();
const served = await serve(framework as Framework, deps, {
  port: Number(process.env["PORT"] ?? 3000),
});

const base = `http://127.0.0.1:${served.port}`;
console.log(`${framework} example on ${base} (pid ${process.pid})`);
console.log(`
Seeded tenants: ${Object.entries(DEMO.tenants)
  .map(([t, users]) => `${t} (${users.join(", ")})`)
  .join("; ")}. Try:

  curl -s ${base}/agent_api_keys -H 'x-user-id: alice'                       # alice's keys only
  curl -s ${base}/agent_api_keys/key-alice -H 'x-user-id: alice'             # 200
  curl -s ${base}/agent_api_keys/key-alice -H 'x-user-id: mallory'           # 404, other tenant
  curl -s ${base}/agent_api_keys/no-such-key -H 'x-user-id: mallory'         # the same 404
  curl -s -X DELETE ${base}/agent_api_keys/key-bob -H 'x-user-id: bob'       # 403: no update on the agent
  curl -s -X POST ${base}/agent_api_keys -H 'x-user-id: alice' -H 'content-type: application/json' \\
       -d '{"agent_id":"support-bot","name":"new-key"}'                       # 201, registered first
  curl -s '${base}/agent_api_keys/name/alice-ci?agent_id=support-bot' -H 'x-user-id: alice'

Ctrl-C to stop.`);

const shutdown = async () => {
  await served.close();
  await deps.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
