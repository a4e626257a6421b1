// createAuthzHandler serving agentex's own client, in process, over the embedded SpiceDB with
// agentexSchema: the requests it sends (test/fixtures/agentex/wire.ts, file and commit cited
// there), read back the way its client reads answers (test/fixtures/agentex/client.ts).
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agentexDefaultParent,
  agentexOnly,
  agentexTypeLevel,
} from "../../examples/authz/policy.js";
import { createAgentexAuthService, PORT_OPTIONS } from "../../examples/authz/service.js";
import { agentexPrincipal, createAuthzHandler, httpPort } from "../../src/http/index.js";
import { type AuthorizationPort, createAuthorizer, task, user } from "../../src/index.js";
import {
  agentexSchema,
  type EmbeddedSpiceDB,
  startEmbeddedSpiceDB,
} from "../../src/spicedb/index.js";
import { agentexPost, listResources } from "../fixtures/agentex/client.js";
import {
  IDS,
  OUTSIDER,
  PRINCIPAL,
  REQUESTS,
  SCHEDULE_SELECTOR,
  SERVICE_PRINCIPAL,
  type WireRequest,
} from "../fixtures/agentex/wire.js";
import { withOverrides } from "../support/port-contract.js";

const SUCCESS = { success: true, metadata: null };
const DENIED = {
  raised: "AuthorizationError",
  message: "You do not have permission to perform this action.",
};

/** The handler as an agentex-auth replacement configures it (examples/authz/service.ts). */
function agentexHandler(port: AuthorizationPort, typeLevel = true) {
  return createAuthzHandler(port, {
    authenticate: "none",
    authorize: agentexOnly,
    subject: agentexPrincipal(),
    ...(typeLevel ? { typeLevel: agentexTypeLevel(port) } : {}),
    defaultParent: agentexDefaultParent,
    encodeSelectors: true,
  });
}

let db: EmbeddedSpiceDB;
let handler: (request: Request) => Promise<Response>;
/** agentex's client calling the handler; `as` swaps the principal it relays. */
const send = (request: WireRequest, as: unknown = PRINCIPAL) =>
  agentexPost(handler, { op: request.op, body: { ...request.body, principal: as } });

beforeAll(async () => {
  db = await startEmbeddedSpiceDB({
    schema: agentexSchema,
    portOptions: PORT_OPTIONS,
    relationships: [
      `tenant:${PRINCIPAL.account_id}#member@user:${PRINCIPAL.user_id}`,
      `tenant:${PRINCIPAL.account_id}#member@user:colleague`,
      `tenant:${SERVICE_PRINCIPAL.account_id}#member@service_account:${SERVICE_PRINCIPAL.service_account_id}`,
      `tenant:${OUTSIDER.account_id}#member@user:${OUTSIDER.user_id}`,
    ],
  });
  handler = agentexHandler(db.port);
});
afterAll(() => db.close());

// One agent's life, in agentex's order: each step builds on the one before.
describe("createAuthzHandler serves agentex's client", () => {
  it("an agent: type-level create, register without a parent, grant, check allow and deny", async () => {
    expect(await send(REQUESTS.createAgentTypeLevel)).toEqual({
      ok: { ...SUCCESS, allowed: true },
    });
    expect(await send(REQUESTS.registerAgent)).toEqual({
      ok: { ...SUCCESS, token: expect.any(String) },
    });
    expect(await send(REQUESTS.grantAgent)).toEqual({
      ok: { ...SUCCESS, token: expect.any(String) },
    });
    expect(await send(REQUESTS.readAgent)).toEqual({ ok: { ...SUCCESS, allowed: true } });
    // Denied: the client raises its authorization error and shows fgac's message.
    expect(await send(REQUESTS.readAgent, OUTSIDER)).toEqual(DENIED);
    const colleague = { ...PRINCIPAL, user_id: "colleague" };
    expect(await send(REQUESTS.readAgent, colleague)).toEqual(DENIED);
    // defaultParent put it in the principal's tenant: that is what lets its owner read it.
    expect(
      await db.port.check({
        subject: { type: "tenant", id: PRINCIPAL.account_id, relation: "membership" },
        resource: { type: "agent", id: IDS.agent },
        permission: "tenant_gate",
      }),
    ).toBe(true);
  });

  it("type-level checks: the tenant decides; no hook or another question: 403; '*' elsewhere: 400", async () => {
    expect(await send(REQUESTS.createAgentTypeLevel, SERVICE_PRINCIPAL)).toMatchObject({
      ok: { allowed: true },
    });
    expect(await send(REQUESTS.createTaskTypeLevel)).toMatchObject({ ok: { allowed: true } });
    expect(await send(REQUESTS.createAgentTypeLevel, OUTSIDER)).toMatchObject({
      ok: { allowed: true },
    });
    const stranger = { user_id: "nobody", account_id: PRINCIPAL.account_id };
    expect(await send(REQUESTS.createAgentTypeLevel, stranger)).toEqual(DENIED); // not a member
    expect(await send(REQUESTS.createAgentTypeLevel, { user_id: PRINCIPAL.user_id })).toEqual(
      DENIED,
    );
    const deleteAny = { ...REQUESTS.createAgentTypeLevel.body, operation: "delete" };
    expect(await agentexPost(handler, { op: "check", body: deleteAny })).toEqual(DENIED);
    const noHook = agentexHandler(db.port, false);
    expect(await agentexPost(noHook, REQUESTS.createAgentTypeLevel)).toEqual(DENIED);
    for (const op of ["grant", "register", "deregister"] as const) {
      const body = {
        principal: PRINCIPAL,
        resource: { type: "agent", selector: "*" },
        parent: null,
      };
      expect(await agentexPost(handler, { op, body })).toEqual({
        raised: "ServiceError",
        status: 400,
      });
    }
  });

  it("a task and an api key under the agent: register with a parent, check, search scoped", async () => {
    expect(await send(REQUESTS.registerTask)).toMatchObject({ ok: SUCCESS });
    expect(await send(REQUESTS.readTask)).toEqual({ ok: { ...SUCCESS, allowed: true } });
    expect(await send(REQUESTS.readTask, OUTSIDER)).toEqual(DENIED);
    const tasks = await send(REQUESTS.searchTasks);
    expect(tasks).toEqual({ ok: { items: [IDS.task], ...SUCCESS } });
    expect(listResources(tasks)).toEqual([IDS.task]);
    expect(listResources(await send(REQUESTS.searchTasks, OUTSIDER))).toEqual([]);
    expect(await send(REQUESTS.registerApiKey)).toMatchObject({ ok: SUCCESS });
    // Two-factor: delete on the key needs update on its agent, which the owner has.
    expect(await send(REQUESTS.deleteApiKey)).toMatchObject({ ok: { allowed: true } });
    expect(listResources(await send(REQUESTS.searchApiKeys))).toEqual([IDS.apiKey]);
    expect(await send(REQUESTS.deregisterApiKey)).toMatchObject({ ok: SUCCESS });
    expect(await send(REQUESTS.deleteApiKey)).toEqual(DENIED);
  });

  it("a schedule: its selector stored encoded, answered as sent; grant, revoke, deregister", async () => {
    expect(await send(REQUESTS.registerSchedule)).toMatchObject({ ok: SUCCESS });
    expect(await send(REQUESTS.grantSchedule)).toMatchObject({ ok: SUCCESS }); // the legacy grant
    expect(await send(REQUESTS.updateSchedule)).toMatchObject({ ok: { allowed: true } });
    expect(await send(REQUESTS.updateSchedule, OUTSIDER)).toEqual(DENIED);
    expect(listResources(await send(REQUESTS.searchSchedules))).toEqual([SCHEDULE_SELECTOR]);
    const stored = await db.port.lookup({
      subject: user(PRINCIPAL.user_id),
      resourceType: "schedule",
      permission: "read",
    });
    expect(stored).toHaveLength(1);
    expect(stored?.[0]).toMatch(/^=[A-Za-z0-9+/=]+$/); // a valid SpiceDB id
    expect(await send(REQUESTS.revokeSchedule)).toMatchObject({ ok: SUCCESS });
    expect(await send(REQUESTS.updateSchedule)).toEqual(DENIED); // no owner left
    expect(await send(REQUESTS.deregisterSchedule)).toMatchObject({ ok: SUCCESS });
    expect(listResources(await send(REQUESTS.searchSchedules))).toEqual([]);
  });

  it("deregister, and the checks after it are denied (task: then the route's revoke, a no-op)", async () => {
    expect(await send(REQUESTS.deregisterTask)).toMatchObject({ ok: SUCCESS });
    expect(await send(REQUESTS.revokeTask)).toMatchObject({ ok: SUCCESS });
    expect(await send(REQUESTS.readTask)).toEqual(DENIED);
    expect(listResources(await send(REQUESTS.searchTasks))).toEqual([]);
    expect(await send(REQUESTS.revokeAgent)).toMatchObject({ ok: SUCCESS });
    expect(await send(REQUESTS.deregisterAgent)).toMatchObject({ ok: SUCCESS });
    expect(await send(REQUESTS.readAgent)).toEqual(DENIED);
    expect(await send(REQUESTS.createTaskTypeLevel)).toMatchObject({ ok: { allowed: true } });
  });
});

describe("createAuthzHandler: what else agentex's client meets", () => {
  it("search unscoped: { unscoped: true, items: [] }, which agentex reads as no filter", async () => {
    const unscoped = agentexHandler(withOverrides(db.port, { lookup: async () => null }));
    const answer = await agentexPost(unscoped, REQUESTS.searchTasks);
    expect(answer).toEqual({ ok: { unscoped: true, items: [], ...SUCCESS } });
    expect(listResources(answer)).toBeNull();
  });

  it("principals: a service account, principal_type, and what names nobody (400)", async () => {
    const typed = { principal_type: "service_account", service_account_id: "sa_ci", user_id: "x" };
    expect(
      await send(REQUESTS.createAgentTypeLevel, { ...typed, account_id: "acct_456" }),
    ).toMatchObject({
      ok: { allowed: true },
    });
    const bad = [
      null,
      "user_123",
      [],
      {},
      { user_id: "" },
      { user_id: "a", service_account_id: "b" },
    ];
    for (const principal of bad) {
      expect(await send(REQUESTS.readAgent, principal)).toEqual({
        raised: "ServiceError",
        status: 400,
      });
    }
    // Older clients deregistered with principal null: still a deregister of nobody in particular.
    expect(await send(REQUESTS.deregisterTask, null)).toMatchObject({ ok: SUCCESS });
  });

  it("requests agentex never sends are refused by the example's authorize (403)", async () => {
    const refused = [
      { op: "grant", body: { ...REQUESTS.grantAgent.body, relation: "editor" } },
      {
        op: "grant",
        body: { ...REQUESTS.grantAgent.body, resource: { type: "tenant", selector: "acct_456" } },
      },
      { op: "register", body: { ...REQUESTS.registerTask.body, parent: null } },
      {
        op: "register",
        body: {
          ...REQUESTS.registerAgent.body,
          parent: { type: "tenant", selector: "acct_other" },
        },
      },
      {
        op: "search",
        body: { principal: PRINCIPAL, filter_resource: "tenant", filter_operation: "membership" },
      },
    ] as const;
    for (const request of refused) {
      expect(await agentexPost(handler, request)).toMatchObject({ raised: "AuthorizationError" });
    }
  });

  it("the example service answers /v1/authn with the principal agentex relays", async () => {
    const service = createAgentexAuthService(db.port);
    const authn = (key?: string) =>
      service(
        new Request("http://authz/v1/authn", {
          method: "POST",
          headers: key ? { "x-api-key": key } : {},
        }),
      );
    const ok = await authn("demo-key-alice");
    expect(await ok.json()).toEqual({
      user_id: "alice",
      account_id: "acme",
      service_account_id: null,
      metadata: {},
    });
    expect((await authn("wrong")).status).toBe(401);
    expect((await authn()).status).toBe(401);
    // The authorization side is the handler above, over the same SpiceDB.
    expect(await agentexPost(service, REQUESTS.createAgentTypeLevel)).toMatchObject({
      ok: { allowed: true },
    });
    const stranger = { user_id: "nobody", account_id: PRINCIPAL.account_id };
    expect(
      await agentexPost(service, {
        op: "check",
        body: { ...REQUESTS.createAgentTypeLevel.body, principal: stranger },
      }),
    ).toEqual(DENIED);
  });
});

describe("httpPort speaking agentex's wire to this handler", () => {
  const BASE = "http://agentex-auth.test";
  const msw = setupServer(http.post(`${BASE}/v1/authz/:op`, ({ request }) => handler(request)));
  beforeAll(() => msw.listen({ onUnhandledRequest: "error" }));
  afterAll(() => msw.close());

  it("register with and without a parent, check, list, deregister: through the authorizer", async () => {
    const port = httpPort({
      baseUrl: BASE,
      principal: (s) => ({ user_id: s.id, account_id: PRINCIPAL.account_id }),
    });
    const authz = createAuthorizer({ port }).forSubject(user(PRINCIPAL.user_id));
    const agentId = "a-roundtrip";
    await authz.register({ type: "agent", id: agentId }); // defaultParent: the tenant
    await authz.register(task("t-roundtrip"), { parent: { type: "agent", id: agentId } });
    expect(await authz.can(task("t-roundtrip"), "read")).toBe(true);
    expect(await authz.authorizedIds(task, "read")).toEqual(["t-roundtrip"]);
    await authz.deregister(task("t-roundtrip"));
    expect(await authz.can(task("t-roundtrip"), "read")).toBe(false);
    await authz.deregister({ type: "agent", id: agentId });
    // A 403 on a write is a denial, not an outage (the authorizer's own filter reports it as 503).
    const admin = {
      subject: user(PRINCIPAL.user_id),
      resource: { type: "tenant", id: "acct_456" },
    };
    await expect(port.grant({ ...admin, relation: "admin" })).rejects.toMatchObject({
      name: "AuthorizationError",
    });
  });
});

describe("selector encoding", () => {
  it("round-trips any selector the handler accepts, and never collides with a plain id", async () => {
    const { default: fc } = await import("fast-check");
    const { idToSelector, selectorToId } = await import("../../src/http/selectors.js");
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 300, unit: "grapheme" }),
        fc.string(),
        (a, b) => {
          const id = selectorToId(a);
          if (id === undefined) return;
          expect(id).toMatch(/^[a-zA-Z0-9/_|\-=+]{1,1024}$/);
          expect(idToSelector(id)).toBe(a);
          if (a !== b) expect(selectorToId(b)).not.toBe(id);
        },
      ),
      { numRuns: 500 },
    );
    expect(selectorToId(SCHEDULE_SELECTOR)).toMatch(/^=/);
    expect(selectorToId(IDS.agent)).toBe(IDS.agent); // valid ids are stored as they are
    expect(idToSelector("=not base64!")).toBeUndefined();
  });
});
