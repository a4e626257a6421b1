// An agentex-auth compatible service: POST /v1/authn (demo API keys -> agentex's principal) and
// POST /v1/authz/* (createAuthzHandler over SpiceDB with agentexSchema), as one fetch handler.
import { type AuthorizationPort, serviceAccount, tenant, user } from "fgac";
import { agentexPrincipal, createAuthzHandler } from "fgac/http";
import {
  agentexPortOptions,
  agentexSchema,
  type SpiceDBPortOptions,
  spicedbPort,
  startEmbeddedSpiceDB,
} from "fgac/spicedb";
import { agentexDefaultParent, agentexOnly, agentexTypeLevel } from "./policy.js";

/**
 * What `/v1/authn` answers per API key: agentex relays it, unchanged, as the principal of every
 * authorization call. A stand-in for your identity provider (OIDC, SGP...): the keys are printed
 * at start, so never use them beyond a laptop.
 */
export const DEMO_IDENTITIES: Readonly<Record<string, Record<string, unknown>>> = {
  "demo-key-alice": { user_id: "alice", account_id: "acme", service_account_id: null },
  "demo-key-bob": { user_id: "bob", account_id: "acme", service_account_id: null },
  "demo-key-ci": { user_id: null, account_id: "acme", service_account_id: "ci-bot" },
  "demo-key-mallory": { user_id: "mallory", account_id: "globex", service_account_id: null },
};

/** agentexPortOptions, with schedules registered under their agent (schema `schedule`). */
export const PORT_OPTIONS: SpiceDBPortOptions = {
  ...agentexPortOptions,
  parentRelations: { ...agentexPortOptions.parentRelations, schedule: "parent_agent" },
};

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });

/**
 * The service over `port`: `/v1/authn`, `/v1/authz/*` and `/healthz`. Serve it only where
 * agentex alone can reach it: agentex sends no credentials on authorization calls.
 */
export function createAgentexAuthService(
  port: AuthorizationPort,
  identities: Readonly<Record<string, Record<string, unknown>>> = DEMO_IDENTITIES,
): (request: Request) => Promise<Response> {
  const authz = createAuthzHandler(port, {
    // agentex's client sends no credentials: the network is the boundary (see README.md).
    authenticate: "none",
    authorize: agentexOnly,
    subject: agentexPrincipal(),
    typeLevel: agentexTypeLevel(port),
    defaultParent: agentexDefaultParent,
    encodeSelectors: true, // schedules: "run-schedule::{agent}::{id}"
  });
  const byKey = new Map(Object.entries(identities));

  return async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/healthz" && request.method === "GET") return json(200, { ok: true });
    if (pathname === "/v1/authn" && request.method === "POST") {
      // agentex forwards the caller's headers; this demo reads x-api-key only.
      const identity = byKey.get(request.headers.get("x-api-key") ?? "");
      if (!identity)
        return json(401, { message: "Authentication required.", code: 401, data: null });
      return json(200, { ...identity, metadata: {} });
    }
    return authz(request);
  };
}

/**
 * The memberships the demo identities need: each user or service account is a member of its
 * account's tenant (your identity provider's job in production).
 */
export async function seedMemberships(
  port: AuthorizationPort,
  identities: Readonly<Record<string, Record<string, unknown>>> = DEMO_IDENTITIES,
): Promise<void> {
  for (const identity of Object.values(identities)) {
    const account = identity["account_id"];
    if (typeof account !== "string") continue;
    const userId = identity["user_id"];
    const serviceAccountId = identity["service_account_id"];
    const subject =
      typeof userId === "string"
        ? user(userId)
        : typeof serviceAccountId === "string"
          ? serviceAccount(serviceAccountId)
          : undefined;
    if (subject) await port.grant({ subject, resource: tenant(account), relation: "member" });
  }
}

/** SpiceDB: `SPICEDB_ENDPOINT` (and `SPICEDB_TOKEN`, `SPICEDB_INSECURE`), else embedded. */
export async function startSpiceDB(): Promise<{ port: AuthorizationPort; close(): Promise<void> }> {
  const endpoint = process.env["SPICEDB_ENDPOINT"];
  if (endpoint) {
    const port = spicedbPort(
      {
        endpoint,
        token: process.env["SPICEDB_TOKEN"] ?? "",
        insecure: process.env["SPICEDB_INSECURE"] === "true",
      },
      PORT_OPTIONS,
    );
    return { port, close: async () => port.close?.() };
  }
  const db = await startEmbeddedSpiceDB({ schema: agentexSchema, portOptions: PORT_OPTIONS });
  return { port: db.port, close: () => db.close() };
}
