import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthorizationError,
  agent,
  apiKey,
  ConfigurationError,
  createAuthorizer,
  InvalidConsistencyTokenError,
  NotFoundError,
  tenant,
  toErrorResponse,
  UnauthenticatedError,
  user,
} from "../../src/index.js";
import { agentexPortOptions, type EmbeddedSpiceDB, spicedbPort } from "../../src/spicedb/index.js";
import { recordingLogger } from "../../src/testing/index.js";
import { startAgentex } from "../support/agentex-world.js";
import { uid, withOverrides } from "../support/port-contract.js";

let db: EmbeddedSpiceDB;
beforeAll(async () => {
  db = await startAgentex();
});
afterAll(() => db.close());

describe("createAuthorizer", () => {
  it("rejects bad options when called, not on the first request", () => {
    expect(() => createAuthorizer({} as never)).toThrow(ConfigurationError);
    expect(() => createAuthorizer({ port: db.port, timeoutMs: -1 })).toThrow(ConfigurationError);
    expect(() => createAuthorizer({ port: db.port, collapse: "never" as never })).toThrow(
      ConfigurationError,
    );
    expect(() => createAuthorizer({ port: db.port, logger: {} as never })).toThrow(
      ConfigurationError,
    );
  });
});

describe("forSubject consistency", () => {
  it("every check and lookup of the request carries it; writes are unaffected", async () => {
    const seen: unknown[] = [];
    const port = withOverrides(db.port, {
      check: (r) => {
        seen.push(["check", r.consistency]);
        return db.port.check(r);
      },
      checkMany: (r) => {
        seen.push(["checkMany", ...r.map((q) => q.consistency)]);
        return db.port.checkMany(r);
      },
      lookup: (r) => {
        seen.push(["lookup", r.consistency]);
        return db.port.lookup(r);
      },
    });
    const fully = { kind: "fullyConsistent" } as const;
    const authz = createAuthorizer({ port }).forSubject(user("alice"), { consistency: fully });
    expect(await authz.can(apiKey("k-alice"), "read")).toBe(true);
    await authz.checkOrNotFound(apiKey("k-alice"), "delete");
    expect(await authz.canMany([apiKey("k-alice"), apiKey("k-bob")], "read")).toEqual([
      true,
      false,
    ]);
    expect(await authz.authorizedIds(apiKey, "read", { parent: agent("a1") })).toEqual(["k-alice"]);
    expect(seen).toEqual([
      ["check", fully],
      ["checkMany", fully, fully],
      ["checkMany", fully, fully],
      ["check", fully], // may the subject see the parent? (before any child is read)
      ["lookup", fully],
    ]);
    // Without it, requests carry none (the port's default applies).
    seen.length = 0;
    await createAuthorizer({ port }).forSubject(user("alice")).can(apiKey("k-alice"), "read");
    expect(seen).toEqual([["check", undefined]]);
  });

  it("a token from another port's write makes a fresh port's reads see it", async () => {
    // Its own member, agent and key, so the shared world other tests count stays as it is.
    const member = user(uid("u"));
    await db.port.grant({ subject: member, resource: tenant("acme"), relation: "member" });
    const a = agent(uid("a"));
    await db.port.register({ subject: member, resource: a, parent: tenant("acme") });
    const k = apiKey(uid("k"));
    const { token } = await db.port.register({ subject: member, resource: k, parent: a });
    // Another process's port: it has written nothing, so by default it reads at minimizeLatency.
    const elsewhere = createAuthorizer({
      port: spicedbPort({ client: db.client }, agentexPortOptions),
    });
    const authz = elsewhere.forSubject(member, {
      consistency: { kind: "atLeastAsFresh", token: token! },
    });
    expect(await authz.can(k, "delete")).toBe(true);
    expect(await authz.authorizedIds(apiKey, "read", { parent: a })).toEqual([k.id]);
  });

  it("rejects a consistency of the wrong shape as the app's bug (500) when binding", () => {
    const authorizer = createAuthorizer({ port: db.port });
    for (const consistency of [{ kind: "eventually" }, "fullyConsistent", null, { kind: 1 }]) {
      expect(() =>
        authorizer.forSubject(user("alice"), { consistency: consistency as never }),
      ).toThrow(ConfigurationError);
    }
  });

  it("rejects a token that cannot be one as the client's error (400), naming nothing", () => {
    const authorizer = createAuthorizer({ port: db.port });
    for (const token of ["", " ", "x".repeat(1025), "<script>", "a\u0000b", "tok en", "é"]) {
      let error: unknown;
      try {
        authorizer.forSubject(user("alice"), { consistency: { kind: "atLeastAsFresh", token } });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidConsistencyTokenError);
      expect(toErrorResponse(error).status).toBe(400);
      expect(toErrorResponse(error).body).toBe(
        '{"message":"Invalid consistency token.","code":400,"data":null}',
      );
    }
  });
});

describe("anonymous (forSubject(null))", () => {
  const authz = () => createAuthorizer({ port: db.port }).forSubject(null);
  it("checks deny, lookups are empty, writes throw UnauthenticatedError", async () => {
    expect(await authz().can(apiKey("k-alice"), "read")).toBe(false);
    await expect(authz().check(apiKey("k-alice"), "read")).rejects.toBeInstanceOf(
      AuthorizationError,
    );
    await expect(authz().checkOrNotFound(apiKey("k-alice"), "read")).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(await authz().authorizedIds(apiKey)).toEqual([]);
    await expect(authz().register(apiKey(uid("k")))).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(authz().grant(apiKey("k-alice"))).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(authz().deregister(apiKey("k-alice"))).rejects.toBeInstanceOf(
      UnauthenticatedError,
    );
    expect(
      await db.port.check({
        subject: user("alice"),
        resource: apiKey("k-alice"),
        permission: "read",
      }),
    ).toBe(true);
  });
});

describe("bypass", () => {
  it("allows, is unscoped, skips writes, and logs every use with its reason", async () => {
    const logger = recordingLogger();
    const authz = createAuthorizer({ port: db.port, logger }).bypass("nightly reconciliation job");
    expect(authz.bypassed).toBe(true);
    await expect(authz.check(apiKey("k-mallory"), "delete")).resolves.toBeUndefined();
    expect(await authz.authorizedIds(apiKey)).toBeNull();
    const k = apiKey(uid("k"));
    expect(await authz.register(k, { parent: agent("a1") })).toEqual({});
    expect(await db.port.check({ subject: user("alice"), resource: k, permission: "read" })).toBe(
      false,
    );
    const bypassLines = logger.entries.filter(
      (e) => e.obj["reason"] === "nightly reconciliation job",
    );
    expect(bypassLines.length).toBeGreaterThanOrEqual(4); // creation, check, lookup, register
  });

  it("requires a reason", () => {
    expect(() => createAuthorizer({ port: db.port }).bypass("")).toThrow(ConfigurationError);
    expect(() => createAuthorizer({ port: db.port }).bypass("  ")).toThrow(ConfigurationError);
  });
});
