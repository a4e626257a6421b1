import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthorizeInput, createAuthzHandler, httpPort } from "../../src/http/index.js";
import {
  type AuthorizationPort,
  agent,
  apiKey,
  ConfigurationError,
  tenant,
  user,
} from "../../src/index.js";
import {
  agentexSchema,
  type EmbeddedSpiceDB,
  startEmbeddedSpiceDB,
} from "../../src/spicedb/index.js";
import { startAgentex } from "../support/agentex-world.js";
import { embeddedForContract, embeddedWithOwnerRelation } from "../support/embedded-harness.js";
import { describePortContract, withOverrides } from "../support/port-contract.js";
import { tenantFromToken, tenantScoped } from "./tenant-policy.js";

/** Serves a fetch handler on loopback; returns its base URL. */
async function listen(
  handler: (r: Request) => Promise<Response>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = serve({ fetch: handler, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describePortContract("httpPort -> createAuthzHandler -> spicedbPort (embedded)", async () => {
  const { db, addMember } = await embeddedForContract();
  const token = "Bearer contract-token";
  const server = await listen(
    createAuthzHandler(db.port, {
      authenticate: (req) => req.headers.get("authorization") === token,
    }),
  );
  return {
    port: httpPort({ baseUrl: server.url, headers: { authorization: token }, timeoutMs: 10_000 }),
    addMember,
    breakBackend: () => db.close(),
    // api keys take only agents as parent_agent: SpiceDB rejects the whole write.
    rejectedParent: { type: "tenant", id: "acme" },
    scopedLookup: false,
    // The owner relation is the served port's: httpPort and the handler send and pass none.
    async ownerRelationPort(relation) {
      const inner = await embeddedWithOwnerRelation(relation);
      const served = await listen(createAuthzHandler(inner.port, { authenticate: "none" }));
      return {
        port: httpPort({ baseUrl: served.url, timeoutMs: 10_000 }),
        async close() {
          await served.close();
          await inner.close();
        },
      };
    },
    async close() {
      await server.close();
      await db.close();
    },
  };
});

describe("createAuthzHandler", () => {
  let db: EmbeddedSpiceDB;
  let handler: (r: Request) => Promise<Response>;
  beforeAll(async () => {
    db = await startAgentex();
    handler = createAuthzHandler(db.port, {
      authenticate: (r) => r.headers.get("authorization") === "Bearer ok",
    });
  });
  afterAll(() => db.close());

  const post = (
    op: string,
    body: unknown,
    headers: Record<string, string> = { authorization: "Bearer ok" },
  ) =>
    handler(
      new Request(`http://svc/v1/authz/${op}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
  const alice = { type: "user", id: "alice" };
  /** A check alice may pass: read on her agent a1. */
  const readA1 = {
    principal: alice,
    resource: { type: "agent", selector: "a1" },
    operation: "read",
  };
  const postCheck = (url: string) =>
    new Request(url, { method: "POST", body: JSON.stringify(readA1) });

  it("check: 200 allowed, 403 denied", async () => {
    const allowed = await post("check", readA1);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("content-type")).toMatch(/^application\/json/);
    // agentex-auth's success body, plus what httpPort requires to allow.
    expect(await allowed.json()).toEqual({ success: true, metadata: null, allowed: true });
    const denied = await post("check", {
      principal: alice,
      resource: { type: "agent", selector: "g1" },
      operation: "read",
    });
    expect(denied.status).toBe(403);
    // The library's error body: agentex shows its caller the message.
    expect(await denied.json()).toEqual({
      message: "You do not have permission to perform this action.",
      code: 403,
      data: null,
    });
  });

  it("search answers items", async () => {
    const res = await post("search", {
      principal: alice,
      filter_resource: "agent",
      filter_operation: "read",
    });
    expect(await res.json()).toEqual({ items: ["a1"], success: true, metadata: null });
  });

  it("413 for a body over maxBodyBytes, declared or streamed, without calling the port", async () => {
    let calls = 0;
    const counted = withOverrides(db.port, {
      check: (r) => {
        calls += 1;
        return db.port.check(r);
      },
    });
    const small = createAuthzHandler(counted, { authenticate: "none", maxBodyBytes: 200 });
    const check = JSON.stringify(readA1);
    const padded = JSON.stringify({ ...JSON.parse(check), pad: "x".repeat(300) });
    const url = "http://svc/v1/authz/check";
    // Within the limit: answered.
    expect((await small(new Request(url, { method: "POST", body: check }))).status).toBe(200);
    // Over it, with a content-length: refused before reading.
    const declared = await small(new Request(url, { method: "POST", body: padded }));
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({
      message: "Request body too large.",
      code: 413,
      data: null,
    });
    // Over it, streamed without a content-length: refused once the limit is passed.
    const bytes = new TextEncoder().encode(padded);
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(pulled, pulled + 64));
        pulled += 64;
      },
    });
    const streamed = await small(
      new Request(url, { method: "POST", body: stream, duplex: "half" } as RequestInit),
    );
    expect(streamed.status).toBe(413);
    expect(pulled).toBeLessThan(bytes.length); // it stopped reading
    expect(calls).toBe(1);
    expect(() => createAuthzHandler(db.port, { authenticate: "none", maxBodyBytes: 0 })).toThrow(
      ConfigurationError,
    );
  });

  it("400 for invalid JSON and for bodies off the contract, naming fields not values", async () => {
    const bad = await post("check", "{not json");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ message: "Invalid JSON body.", code: 400, data: null });
    const shape = await post("check", {
      principal: alice,
      resource: { type: "agent", selector: "secret value*" },
    });
    expect(shape.status).toBe(400);
    const text = await shape.text();
    expect(text).toMatch(/resource\.selector/);
    expect(text).toMatch(/operation/);
    expect(text).not.toContain("secret value");
    expect(
      (
        await post("check", {
          principal: { type: "user" },
          resource: { type: "agent", selector: "a1" },
          operation: "read",
        })
      ).status,
    ).toBe(400);
  });

  it("404 for an unknown op, 405 for other methods, 401 when authenticate says no", async () => {
    expect((await post("explode", {})).status).toBe(404);
    expect((await handler(new Request("http://svc/elsewhere", { method: "POST" }))).status).toBe(
      404,
    );
    const get = await handler(new Request("http://svc/v1/authz/check", { method: "GET" }));
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect((await post("check", {}, { authorization: "Bearer wrong" })).status).toBe(401);
  });

  it("409 for a register conflict", async () => {
    const body = {
      principal: { type: "user", id: "bob" },
      resource: { type: "api_key", selector: "k-alice" },
      parent: { type: "agent", selector: "a1" },
    };
    const res = await post("register", body);
    expect(res.status).toBe(409);
  });

  it("503 when the port fails, with a generic body", async () => {
    const broken = await startEmbeddedSpiceDB({ schema: agentexSchema });
    await broken.close();
    const h = createAuthzHandler(broken.port, { authenticate: "none" });
    const res = await h(postCheck("http://svc/v1/authz/check"));
    expect(res.status).toBe(503);
    expect(await res.text()).toBe(
      '{"message":"Authorization is temporarily unavailable.","code":503,"data":null}',
    );
  });

  it("a basePath is honoured", async () => {
    const h = createAuthzHandler(db.port, { authenticate: "none", basePath: "/authz/" });
    const res = await h(postCheck("http://svc/authz/check"));
    expect(res.status).toBe(200);
  });
});

describe("createAuthzHandler: property over arbitrary bodies", () => {
  let db: EmbeddedSpiceDB;
  beforeAll(async () => {
    db = await startAgentex();
  });
  afterAll(() => db.close());

  it("never a 5xx for bad input, and 200 only when the port itself allows", async () => {
    const { default: fc } = await import("fast-check");
    const handler = createAuthzHandler(db.port, { authenticate: "none" });
    const principal = fc.oneof(
      fc.jsonValue(),
      fc.record({
        type: fc.constantFrom("user", "service_account", "x"),
        id: fc.constantFrom("alice", "bob", "*", "", "a b"),
      }),
    );
    const resource = fc.oneof(
      fc.jsonValue(),
      fc.record({
        type: fc.constantFrom("agent", "api_key", "nope_type"),
        selector: fc.constantFrom("a1", "g1", "k-alice", "*", ""),
      }),
    );
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record({
        principal,
        resource,
        operation: fc.constantFrom("read", "delete", "Bad Op", ""),
      }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await handler(
          new Request("http://svc/v1/authz/check", { method: "POST", body: JSON.stringify(b) }),
        );
        // "nope_type" is a schema mismatch: a configuration error (500) is the honest answer there.
        const schemaMismatch = JSON.stringify(b).includes("nope_type");
        if (!schemaMismatch) expect([200, 400, 403]).toContain(res.status);
        if (res.status === 200) {
          const req = b as {
            principal: { type: string; id: string };
            resource: { type: string; selector: string };
            operation: string;
          };
          const allowed = await db.port.check({
            subject: { type: req.principal.type, id: req.principal.id },
            resource: { type: req.resource.type, id: req.resource.selector },
            permission: req.operation,
          });
          expect(allowed).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** Wraps a port, recording every call (method and request) before passing it on. */
function recording(port: AuthorizationPort) {
  const calls: Array<[string, unknown]> = [];
  const record =
    <K extends "check" | "grant" | "revoke" | "register" | "deregister" | "lookup">(m: K) =>
    (r: never, o?: never) => {
      calls.push([m, r]);
      return (port[m] as (r: never, o?: never) => Promise<never>)(r, o);
    };
  const methods = ["check", "lookup", "grant", "revoke", "register", "deregister"] as const;
  const overrides = Object.fromEntries(methods.map((m) => [m, record(m)]));
  return { port: withOverrides(port, overrides), calls };
}

const request = (op: string, body: unknown, headers: Record<string, string> = {}) =>
  new Request(`http://svc/v1/authz/${op}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const UNAUTHENTICATED = '{"message":"Authentication required.","code":401,"data":null}';
const FORBIDDEN =
  '{"message":"You do not have permission to perform this action.","code":403,"data":null}';
const wire = (type: string, selector: string) => ({ type, selector });
const mallory = { type: "user", id: "mallory" };
/** The finding: an anonymous caller making mallory an admin of acme. */
const malloryAdminOfAcme = {
  principal: mallory,
  resource: wire("tenant", "acme"),
  relation: "admin",
  operation: "create",
};

describe("createAuthzHandler: secure by default", () => {
  let db: EmbeddedSpiceDB;
  beforeAll(async () => {
    db = await startAgentex();
  });
  afterAll(() => db.close());
  const malloryAdministersAcme = () =>
    db.port.check({ subject: user("mallory"), resource: tenant("acme"), permission: "administer" });

  it("construction without authenticate throws ConfigurationError naming the option", () => {
    for (const options of [
      undefined,
      {},
      { basePath: "/v1/authz" },
      { authenticate: undefined },
      { authenticate: "None" },
      { authenticate: true },
    ]) {
      let error: unknown;
      try {
        createAuthzHandler(db.port, options as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(/^createAuthzHandler: "authenticate"/);
    }
  });

  it('authenticate: "none" is the explicit opt-out: every caller is served', async () => {
    const open = createAuthzHandler(db.port, { authenticate: "none" });
    const res = await open(
      request("check", {
        principal: { type: "user", id: "alice" },
        resource: wire("agent", "a1"),
        operation: "read",
      }),
    );
    expect(res.status).toBe(200);
  });

  it("an anonymous grant is 401 with a constant body, and writes nothing", async () => {
    const { port, calls } = recording(db.port);
    const handler = createAuthzHandler(port, {
      authenticate: (r) =>
        r.headers.get("authorization") === "Bearer svc" ? { service: "x" } : null,
    });
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: "svc" }]) {
      const res = await handler(request("grant", malloryAdminOfAcme, headers));
      expect(res.status).toBe(401);
      expect(await res.text()).toBe(UNAUTHENTICATED);
    }
    for (const falsy of [false, null, undefined, 0, ""]) {
      const h = createAuthzHandler(port, { authenticate: async () => falsy });
      expect((await h(request("grant", malloryAdminOfAcme))).status).toBe(401);
    }
    expect(calls).toEqual([]);
    expect(await malloryAdministersAcme()).toBe(false);
  });

  it("authorize sees the caller, the op and the validated body; false is 403 and does nothing", async () => {
    const { port, calls } = recording(db.port);
    const seen: AuthorizeInput<{ service: string; tenant: string }>[] = [];
    const handler = createAuthzHandler(port, {
      authenticate: (r) =>
        r.headers.get("authorization") === "Bearer svc" && { service: "agentex", tenant: "acme" },
      authorize: (input) => {
        seen.push(input);
        const principal = input.body.principal as { id?: unknown } | null | undefined;
        return principal?.id !== "mallory";
      },
    });
    const svc = { authorization: "Bearer svc" };
    const grant = await handler(request("grant", { ...malloryAdminOfAcme, extra: 1 }, svc));
    expect(grant.status).toBe(403);
    expect(await grant.text()).toBe(FORBIDDEN);
    const deregister = await handler(
      request("deregister", { principal: mallory, resource: wire("api_key", "k-alice") }, svc),
    );
    expect(deregister.status).toBe(403);
    expect(seen[0]).toEqual({
      caller: { service: "agentex", tenant: "acme" },
      op: "grant",
      body: malloryAdminOfAcme, // validated: the unknown key is gone
      subject: { type: "user", id: "mallory" },
    });
    expect(seen[1]?.op).toBe("deregister");
    expect(calls).toEqual([]); // the port was never called
    // Read back through the port: nothing changed.
    expect(await malloryAdministersAcme()).toBe(false);
    expect(
      await db.port.check({
        subject: user("alice"),
        resource: apiKey("k-alice"),
        permission: "read",
      }),
    ).toBe(true);
  });

  it("a check authorize refuses is 403; one it allows answers the port's decision", async () => {
    const { port, calls } = recording(db.port);
    const handler = createAuthzHandler(port, {
      authenticate: () => true,
      authorize: (input) => input.op !== "check" || input.body.resource.selector !== "a1",
    });
    const readA1 = {
      principal: { type: "user", id: "alice" },
      resource: wire("agent", "a1"),
      operation: "read",
    };
    const refused = await handler(request("check", readA1));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toBe(FORBIDDEN);
    expect(calls).toEqual([]); // refused before the port
    const g1 = await handler(request("check", { ...readA1, resource: wire("agent", "g1") }));
    expect(g1.status).toBe(403); // allowed through, denied by the port
    expect(await g1.text()).toBe(FORBIDDEN); // the same body: agentex shows its message
    expect(calls.map(([m]) => m)).toEqual(["check"]);
  });

  it("an authorize that throws fails closed: generic 500, nothing done", async () => {
    const { port, calls } = recording(db.port);
    const handler = createAuthzHandler(port, {
      authenticate: "none",
      authorize: () => {
        throw new Error("policy store down: secret detail");
      },
    });
    const res = await handler(request("grant", malloryAdminOfAcme));
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("secret detail");
    expect(calls).toEqual([]);
  });

  it("grant and revoke pass a relation to the port only when the request has one", async () => {
    const { port, calls } = recording(db.port);
    const handler = createAuthzHandler(port, { authenticate: "none" });
    const bob = { type: "user", id: "bob" };
    const base = { principal: bob, resource: wire("agent", "a-relations") };
    const [bobSubject, aRelations] = [bob, { type: "agent", id: "a-relations" }];
    for (const [op, body] of [
      ["grant", base],
      ["revoke", base],
      ["grant", { ...base, relation: "viewer" }],
    ] as const) {
      expect((await handler(request(op, body))).status).toBe(200);
    }
    expect(calls).toEqual([
      ["grant", { subject: bobSubject, resource: aRelations }],
      ["revoke", { subject: bobSubject, resource: aRelations }],
      ["grant", { subject: bobSubject, resource: aRelations, relation: "viewer" }],
    ]);
    expect(Object.hasOwn(calls[0]?.[1] as object, "relation")).toBe(false);
  });
});

describe("createAuthzHandler: the tenant-scoped policy of docs/http-backend.md", () => {
  let db: EmbeddedSpiceDB;
  let handler: (r: Request) => Promise<Response>;
  const TOKENS = { acme: "acme-0123456789abcdef", globex: "globex-0123456789abcdef" };
  beforeAll(async () => {
    db = await startAgentex();
    const sha256 = (t: string) => createHash("sha256").update(t).digest("hex");
    const hashes = new Map(Object.entries(TOKENS).map(([tenant, t]) => [sha256(t), tenant]));
    handler = createAuthzHandler(db.port, {
      authenticate: tenantFromToken(hashes),
      authorize: tenantScoped(db.port),
    });
  });
  afterAll(() => db.close());

  /** The status of `op` sent by the caller of `tenant` (or with a raw authorization header). */
  const as = async (who: keyof typeof TOKENS | { raw: string }, op: string, body: unknown) => {
    const authorization = typeof who === "string" ? `Bearer ${TOKENS[who]}` : who.raw;
    return (await handler(request(op, body, { authorization }))).status;
  };
  const can = (userId: string, resource: { type: string; id: string }, permission = "read") =>
    db.port.check({ subject: user(userId), resource, permission });
  const u = (id: string) => ({ type: "user", id });

  it("the docs show this exact policy", () => {
    const docs = readFileSync(new URL("../../docs/http-backend.md", import.meta.url), "utf8");
    const source = readFileSync(new URL("./tenant-policy.ts", import.meta.url), "utf8");
    const block = /<!-- test\/http\/tenant-policy\.ts -->\n```ts\n([\s\S]*?)```/.exec(docs);
    expect(block?.[1]).toBe(source);
  });

  it("a caller without a valid token is 401", async () => {
    expect(await as({ raw: "" }, "check", {})).toBe(401);
    expect(await as({ raw: "Bearer not-a-real-token-at-all" }, "grant", malloryAdminOfAcme)).toBe(
      401,
    );
    expect(await as({ raw: TOKENS.acme }, "grant", malloryAdminOfAcme)).toBe(401);
  });

  it("a caller cannot write into another tenant, and nothing changes", async () => {
    const a1 = wire("agent", "a1");
    expect(await as("globex", "grant", malloryAdminOfAcme)).toBe(403);
    expect(
      await as("globex", "grant", { principal: mallory, resource: a1, relation: "viewer" }),
    ).toBe(403);
    expect(await as("globex", "revoke", { principal: u("alice"), resource: a1 })).toBe(403);
    expect(
      await as("globex", "register", {
        principal: mallory,
        resource: wire("api_key", "k-evil"),
        parent: a1,
      }),
    ).toBe(403);
    expect(
      await as("globex", "register", {
        principal: mallory,
        resource: wire("agent", "a-evil"),
        parent: wire("tenant", "acme"),
      }),
    ).toBe(403);
    expect(
      await as("globex", "deregister", { principal: null, resource: wire("api_key", "k-alice") }),
    ).toBe(403);
    expect(await can("mallory", tenant("acme"), "administer")).toBe(false);
    expect(await can("mallory", agent("a1"))).toBe(false);
    expect(await can("alice", agent("a1"), "delete")).toBe(true);
    expect(await can("alice", apiKey("k-alice"))).toBe(true);
    expect(
      await db.port.lookup({
        subject: user("mallory"),
        resourceType: "api_key",
        permission: "read",
      }),
    ).toEqual(["k-mallory"]);
  });

  it("a caller writes inside its own tenant", async () => {
    const a1 = wire("agent", "a1");
    expect(
      await as("acme", "grant", { principal: u("carol"), resource: a1, relation: "editor" }),
    ).toBe(200);
    expect(await can("carol", agent("a1"), "update")).toBe(true);
    expect(
      await as("acme", "revoke", { principal: u("carol"), resource: a1, relation: "editor" }),
    ).toBe(200);
    expect(await can("carol", agent("a1"), "update")).toBe(false);
    const key = { principal: u("alice"), resource: wire("api_key", "k-new"), parent: a1 };
    expect(await as("acme", "register", key)).toBe(200);
    expect(await can("alice", apiKey("k-new"))).toBe(true);
    expect(await as("acme", "deregister", { principal: null, resource: key.resource })).toBe(200);
    expect(await can("alice", apiKey("k-new"))).toBe(false);
    const newAgent = wire("agent", "a-new");
    const acme = wire("tenant", "acme");
    expect(
      await as("acme", "register", { principal: u("carol"), resource: newAgent, parent: acme }),
    ).toBe(200);
    expect(await can("carol", agent("a-new"))).toBe(true);
    const members = { type: "tenant", id: "acme", relation: "member" };
    expect(
      await as("acme", "grant", { principal: members, resource: newAgent, relation: "viewer" }),
    ).toBe(200);
    expect(await can("bob", agent("a-new"))).toBe(true);
    expect(
      await as("acme", "check", { principal: u("bob"), resource: newAgent, operation: "read" }),
    ).toBe(200);
    expect(
      await as("acme", "grant", { principal: u("dave"), resource: acme, relation: "member" }),
    ).toBe(200);
    expect(await can("dave", tenant("acme"), "membership")).toBe(true);
  });

  it("what the policy cannot prove is denied", async () => {
    const a1 = wire("agent", "a1");
    const acme = wire("tenant", "acme");
    const denied: Array<[string, unknown]> = [
      ["register", { principal: u("alice"), resource: wire("agent", "a-loose"), parent: null }],
      ["register", { principal: u("alice"), resource: wire("api_key", "k-x"), parent: acme }],
      [
        "register",
        { principal: u("alice"), resource: wire("agent", "a-x"), parent: wire("agent", "a-ghost") },
      ],
      ["grant", { principal: { type: "user", id: "*" }, resource: a1, relation: "viewer" }],
      [
        "grant",
        {
          principal: { type: "tenant", id: "globex", relation: "member" },
          resource: a1,
          relation: "viewer",
        },
      ],
      ["grant", { principal: { type: "tenant", id: "acme" }, resource: a1, relation: "tenant" }],
      ["grant", { principal: u("alice"), resource: acme }], // the owner relation of a tenant
      ["grant", { principal: u("alice"), resource: wire("agent", "a-ghost"), relation: "owner" }],
      ["deregister", { principal: null, resource: acme }],
      ["deregister", { principal: null, resource: wire("agent", "a-ghost") }],
      [
        "check",
        {
          principal: { type: "tenant", id: "globex", relation: "membership" },
          resource: wire("agent", "g1"),
          operation: "tenant_gate",
        },
      ],
    ];
    for (const [op, body] of denied) expect([op, await as("acme", op, body)]).toEqual([op, 403]);
    expect(await can("alice", agent("a-loose"))).toBe(false);
    expect(await can("alice", agent("a-ghost"))).toBe(false);
    // The parent is acme's, so the policy lets it through; the port refuses a taken id (409).
    const takeG1 = { principal: u("alice"), resource: wire("agent", "g1"), parent: acme };
    expect(await as("acme", "register", takeG1)).toBe(409);
    expect(await can("alice", agent("g1"))).toBe(false);
    expect(await can("mallory", agent("g1"), "delete")).toBe(true);
  });
});
