// npm run example -- authz: an agentex-auth compatible service on HOST:PORT (default
// 127.0.0.1:5006), over the embedded SpiceDB unless SPICEDB_ENDPOINT is set.
import type { AddressInfo } from "node:net";
import { type Http2Bindings, type HttpBindings, serve } from "@hono/node-server";
import {
  createAgentexAuthService,
  DEMO_IDENTITIES,
  seedMemberships,
  startSpiceDB,
} from "./service.js";

/** Loopback, in every form Node reports it. */
const LOOPBACK = ["127.0.0.1", "::1", "::ffff:127.0.0.1"];

/**
 * The addresses allowed to call (`AUTHZ_ALLOW_FROM`, comma-separated; default loopback): a second
 * fence behind the network one, since anyone who reaches /v1/authz may write edges.
 */
function allowList(): ReadonlySet<string> {
  const configured = process.env["AUTHZ_ALLOW_FROM"];
  return new Set(configured ? configured.split(",").map((a) => a.trim()) : LOOPBACK);
}

/** Starts the service and prints how to point agentex at it. */
export async function main(): Promise<void> {
  const spicedb = await startSpiceDB();
  await seedMemberships(spicedb.port);
  const service = createAgentexAuthService(spicedb.port);
  const allowed = allowList();
  const server = serve({
    hostname: process.env["HOST"] ?? "127.0.0.1",
    port: Number(process.env["PORT"] ?? 5006),
    fetch: (request: Request, env: HttpBindings | Http2Bindings) =>
      allowed.has(env.incoming.socket?.remoteAddress ?? "")
        ? service(request)
        : Promise.resolve(new Response(null, { status: 403 })),
  });
  await new Promise((resolve) => server.once("listening", resolve));
  const { address, port } = server.address() as AddressInfo;
  const base = `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
  console.log(`agentex-auth compatible service on ${base} (pid ${process.pid})`);
  console.log(`
Point scale-agentex at it:  AGENTEX_AUTH_URL=${base}
Demo API keys (x-api-key, answered by /v1/authn): ${Object.keys(DEMO_IDENTITIES).join(", ")}
Calls allowed from: ${[...allowed].join(", ")} (AUTHZ_ALLOW_FROM). Try:

  curl -s -X POST ${base}/v1/authn -H 'x-api-key: demo-key-alice'
  curl -s ${base}/v1/authz/check -H 'content-type: application/json' \\
       -d '{"principal":{"user_id":"alice","account_id":"acme"},"resource":{"type":"agent","selector":"*"},"operation":"create"}'
  curl -s ${base}/v1/authz/register -H 'content-type: application/json' \\
       -d '{"principal":{"user_id":"alice","account_id":"acme"},"resource":{"type":"agent","selector":"a1"},"parent":null}'
  curl -s ${base}/v1/authz/search -H 'content-type: application/json' \\
       -d '{"principal":{"user_id":"alice","account_id":"acme"},"filter_resource":"agent","filter_operation":"read"}'
  curl -s ${base}/v1/authz/check -H 'content-type: application/json' \\
       -d '{"principal":{"user_id":"mallory","account_id":"globex"},"resource":{"type":"agent","selector":"a1"},"operation":"read"}'

Ctrl-C to stop.`);
  const shutdown = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await spicedb.close();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}
