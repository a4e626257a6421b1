// npm run example [-- express|fastify|hono]: one of the example services on PORT (default 3000),
// with seeded demo data, on PGlite + embedded SpiceDB unless DATABASE_URL / SPICEDB_ENDPOINT are set.
import type { AddressInfo } from "node:net";
import { DEMO, startDeps } from "./shared/setup.js";

const framework = process.argv[2] ?? "express";
const port = Number(process.env["PORT"] ?? 3000);
const deps = await startDeps();

let stop: () => Promise<void>;
let boundPort: number;
if (framework === "express") {
  const { createApp } = await import("./express/app.js");
  const server = createApp(deps).listen(port, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  stop = () => new Promise((resolve) => server.close(() => resolve()));
  boundPort = (server.address() as AddressInfo).port;
} else if (framework === "fastify") {
  const { createApp } = await import("./fastify/app.js");
  const app = await createApp(deps);
  await app.listen({ port, host: "127.0.0.1" });
  stop = () => app.close();
  boundPort = (app.server.address() as AddressInfo).port;
} else if (framework === "hono") {
  const { createApp } = await import("./hono/app.js");
  const { serve } = await import("@hono/node-server");
  const server = serve({ fetch: createApp(deps).fetch, port, hostname: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  stop = () => new Promise((resolve) => server.close(() => resolve()));
  boundPort = (server.address() as AddressInfo).port;
} else {
  console.error(`unknown framework "${framework}": use express, fastify or hono`);
  process.exit(2);
}

const base = `http://127.0.0.1:${boundPort}`;
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
  await stop();
  await deps.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
