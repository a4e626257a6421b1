import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthorizationError,
  agent,
  apiKey,
  ConfigurationError,
  createAuthorizer,
  defineResource,
  InvalidIdentifierError,
  tenant,
  user,
} from "../../src/index.js";
import type { EmbeddedSpiceDB } from "../../src/spicedb/index.js";
import { memoryPort, recordingLogger } from "../../src/testing/index.js";
import { startAgentex } from "../support/agentex-world.js";
import { uid, withOverrides } from "../support/port-contract.js";

let db: EmbeddedSpiceDB;
beforeAll(async () => {
  db = await startAgentex();
});
afterAll(() => db.close());

describe("check and can", () => {
  it("check resolves when allowed and throws AuthorizationError when denied", async () => {
    const authz = createAuthorizer({ port: db.port }).forSubject(user("alice"));
    await expect(authz.check(apiKey("k-alice"), "read")).resolves.toBeUndefined();
    await expect(authz.check(apiKey("k-mallory"), "read")).rejects.toBeInstanceOf(
      AuthorizationError,
    );
    expect(await authz.can(apiKey("k-alice"), "delete")).toBe(true);
    expect(await authz.can(apiKey("k-mallory"), "read")).toBe(false);
  });
});

describe("canMany", () => {
  it("answers in order in one bulk call, logs each decision, never the subject", async () => {
    const logger = recordingLogger();
    let calls = 0;
    const port = withOverrides(db.port, {
      check: async () => {
        throw new Error("canMany must not make single checks");
      },
      checkMany: (reqs) => {
        calls += 1;
        return db.port.checkMany(reqs);
      },
    });
    const authz = createAuthorizer({ port, logger }).forSubject(user("alice"));
    const keys = [apiKey("k-alice"), apiKey("k-bob"), apiKey("k-mallory"), apiKey("k-alice")];
    expect(await authz.canMany(keys, "read")).toEqual([true, false, false, true]);
    expect(await authz.canMany([apiKey("k-bob"), apiKey("k-alice")], "delete")).toEqual([
      false,
      true,
    ]);
    expect(calls).toBe(2);
    expect(await authz.canMany([] as ReturnType<typeof apiKey>[], "read")).toEqual([]);
    expect(calls).toBe(2); // nothing to ask: no call
    const decisions = logger.entries.filter((e) => e.obj["fgac"] === "check");
    expect(decisions.map((e) => [e.obj["resourceId"], e.obj["allowed"]])).toEqual([
      ["k-alice", true],
      ["k-bob", false],
      ["k-mallory", false],
      ["k-alice", true],
      ["k-bob", false],
      ["k-alice", true],
    ]);
    // The subject's id ("alice") is never a logged value (the key ids only contain it).
    expect(logger.entries.some((e) => Object.values(e.obj).includes("alice"))).toBe(false);
    expect(logger.text()).not.toContain("user");
  });

  it("anonymous denies all, bypass allows all, an invalid id throws before any call", async () => {
    let calls = 0;
    const port = withOverrides(db.port, {
      checkMany: (reqs) => {
        calls += 1;
        return db.port.checkMany(reqs);
      },
    });
    const keys = [apiKey("k-alice"), apiKey("k-bob")];
    expect(await createAuthorizer({ port }).forSubject(null).canMany(keys, "read")).toEqual([
      false,
      false,
    ]);
    expect(await createAuthorizer({ port }).bypass("test").canMany(keys, "read")).toEqual([
      true,
      true,
    ]);
    const authz = createAuthorizer({ port }).forSubject(user("alice"));
    await expect(
      authz.canMany([apiKey("k-alice"), { type: "api_key", id: "a b" }], "read"),
    ).rejects.toBeInstanceOf(InvalidIdentifierError);
    await expect(
      authz.canMany("k-alice" as unknown as ReturnType<typeof apiKey>[], "read"),
    ).rejects.toBeInstanceOf(ConfigurationError);
    expect(calls).toBe(0);
  });
});

describe("authorizedIds", () => {
  it("returns the readable ids, accepts a kind or a type name", async () => {
    const authz = createAuthorizer({ port: db.port }).forSubject(user("alice"));
    expect(await authz.authorizedIds(apiKey)).toEqual(["k-alice"]);
    expect(await authz.authorizedIds("api_key", "delete")).toEqual(["k-alice"]);
  });

  it("scopes to a parent: only its children, the parent logged, an invalid parent rejected", async () => {
    const logger = recordingLogger();
    const authz = createAuthorizer({ port: db.port, logger }).forSubject(user("alice"));
    expect(await authz.authorizedIds(apiKey, "read", { parent: agent("a1") })).toEqual(["k-alice"]);
    expect(await authz.authorizedIds(apiKey, "read", { parent: agent("g1") })).toEqual([]);
    expect(logger.entries.find((e) => e.obj["fgac"] === "lookup")?.obj).toMatchObject({
      resourceType: "api_key",
      parentType: "agent",
      parentId: "a1",
      count: 1,
    });
    expect(logger.text()).not.toContain("alice");
    await expect(
      authz.authorizedIds(apiKey, "read", { parent: { type: "agent", id: "a b" } }),
    ).rejects.toBeInstanceOf(InvalidIdentifierError);
    // No subject, or a trusted bypass: the same answers as without a parent.
    const anonymous = createAuthorizer({ port: db.port }).forSubject(null);
    expect(await anonymous.authorizedIds(apiKey, "read", { parent: agent("a1") })).toEqual([]);
    const internal = createAuthorizer({ port: db.port }).bypass("test");
    expect(await internal.authorizedIds(apiKey, "read", { parent: agent("a1") })).toBeNull();
  });
});

describe("logging", () => {
  it("logs every decision and write with resource and outcome, and never the subject", async () => {
    const logger = recordingLogger();
    const secretUser = `alice-secret-${uid("s")}`;
    await db.port.grant({
      subject: user(secretUser),
      resource: tenant("acme"),
      relation: "member",
    });
    const authz = createAuthorizer({ port: db.port, logger }).forSubject(user(secretUser));
    const a = agent(uid("a"));
    await authz.register(a, { parent: tenant("acme") });
    await authz.check(a, "read");
    await authz.can(apiKey("k-alice"), "read");
    await authz.checkOrNotFound(apiKey("k-alice"), "delete").catch(() => {});
    await authz.authorizedIds(agent);
    await authz.grant(a, "viewer");
    await authz.revoke(a, "viewer");
    await authz.deregister(a);
    // A failing backend: its error message names the subject; the log must not.
    const broken = withOverrides(db.port, {
      check: async () =>
        Promise.reject(new Error(`rpc error: code = Unavailable desc = user:${secretUser}`)),
    });
    await createAuthorizer({ port: broken, logger })
      .forSubject(user(secretUser))
      .can(a, "read")
      .catch(() => {});

    const text = logger.text();
    expect(text).not.toContain(secretUser);
    expect(text).not.toContain("secret");
    const register = logger.entries.find((e) => e.obj["fgac"] === "register");
    expect(register?.obj).toMatchObject({
      resourceType: "agent",
      resourceId: a.id,
      parentType: "tenant",
      parentId: "acme",
    });
    expect(
      logger.entries
        .filter((e) => e.level === "info" && e.obj["fgac"] === "check")
        .map((e) => e.obj["allowed"]),
    ).toEqual([true, false, false]);
    expect(
      logger.entries.some(
        (e) => e.level === "error" && e.obj["error"] === "authorization_unavailable",
      ),
    ).toBe(true);
  });
});

describe("decisionLogLevel", () => {
  /** Methods that need their `this`, as pino's do. */
  class ThisLogger {
    readonly lines: string[] = [];
    private write(level: string, obj: Record<string, unknown>, msg?: string) {
      this.lines.push(`${level} ${String(obj["fgac"])} ${msg ?? ""}`);
    }
    info(obj: Record<string, unknown>, msg?: string) {
      this.write("info", obj, msg);
    }
    warn(obj: Record<string, unknown>, msg?: string) {
      this.write("warn", obj, msg);
    }
    error(obj: Record<string, unknown>, msg?: string) {
      this.write("error", obj, msg);
    }
    debug(obj: Record<string, unknown>, msg?: string) {
      this.write("debug", obj, msg);
    }
  }

  it('"debug" moves decisions to debug; writes, bypasses and failures keep their levels', async () => {
    const logger = new ThisLogger();
    const authorizer = createAuthorizer({ port: db.port, logger, decisionLogLevel: "debug" });
    const alice = authorizer.forSubject(user("alice"));
    await alice.can(apiKey("k-alice"), "read");
    await alice.canMany([apiKey("k-alice"), apiKey("k-bob")], "read");
    await alice.checkOrNotFound(apiKey("k-mallory"), "read").catch(() => {});
    await alice.authorizedIds(apiKey);
    await authorizer.forSubject(null).authorizedIds(apiKey);
    const a = agent(uid("a"));
    await alice.register(a, { parent: tenant("acme") });
    await authorizer.bypass("migration").can(a, "read");
    const broken = withOverrides(db.port, {
      check: () => Promise.reject(new Error("rpc error: code = Unavailable desc = down")),
    });
    await createAuthorizer({ port: broken, logger, decisionLogLevel: "debug" })
      .forSubject(user("alice"))
      .can(a, "read")
      .catch(() => {});
    expect(logger.lines).toEqual([
      "debug check fgac: check allowed",
      "debug check fgac: check allowed",
      "debug check fgac: check denied",
      "debug check fgac: check denied",
      "debug timing fgac: denial held to the floor", // the 404's time added (always debug)
      "debug lookup fgac: lookup",
      "debug lookup fgac: lookup",
      "info register fgac: register",
      "warn bypass fgac: authorization bypassed",
      "info check fgac: check allowed",
      "error check fgac: check failed",
    ]);
  });

  it('defaults to "info" and rejects any other level', async () => {
    const logger = new ThisLogger();
    await createAuthorizer({ port: db.port, logger })
      .forSubject(user("alice"))
      .can(apiKey("k-alice"), "read");
    expect(logger.lines).toEqual(["info check fgac: check allowed"]);
    expect(() => createAuthorizer({ port: db.port, decisionLogLevel: "trace" as never })).toThrow(
      ConfigurationError,
    );
  });
});

describe("grant and revoke without a relation", () => {
  it("use the port's owner relation, not a literal owner", async () => {
    const doc = defineResource("doc", { permissions: ["read", "edit"] as const });
    const port = memoryPort({ ownerRelation: "admin" });
    const authz = createAuthorizer({ port }).forSubject(user("alice"));
    await authz.grant(doc("d1"));
    expect(port.edges.map((e) => e.relation)).toEqual(["admin"]);
    expect(port.callsOf("grant")[0]?.req).not.toHaveProperty("relation");
    await authz.revoke(doc("d1"));
    expect(port.edges).toEqual([]);
    await authz.grant(doc("d1"), "editor");
    expect(port.edges.map((e) => e.relation)).toEqual(["editor"]);
  });
});

describe("scoped list under a parent the subject cannot see", () => {
  const KEYS = 20_000;
  let big: EmbeddedSpiceDB;
  beforeAll(async () => {
    // globex's agent g-big holds 20k keys; alice (acme) may not see it.
    const keys = Array.from(
      { length: KEYS },
      (_, i) => `agent_api_key:k${i}#parent_agent@agent:g-big`,
    );
    big = await startAgentex(["agent:g-big#tenant@tenant:globex", ...keys]);
  }, 120_000);
  afterAll(() => big?.close());

  /** The real port, counting each operation. */
  function counted() {
    const counts = { check: 0, checkMany: 0, lookup: 0 };
    const port = withOverrides(big.port, {
      check: (r, o) => {
        counts.check += 1;
        return big.port.check(r, o);
      },
      checkMany: (r, o) => {
        counts.checkMany += 1;
        return big.port.checkMany(r, o);
      },
      lookup: (r, o) => {
        counts.lookup += 1;
        return big.port.lookup(r, o);
      },
    });
    return { port, counts };
  }

  it("answers [] like an absent parent, without reading its children or bulk-checking", async () => {
    const hidden = counted();
    const alice = createAuthorizer({ port: hidden.port }).forSubject(user("alice"));
    expect(await alice.authorizedIds(apiKey, "read", { parent: agent("g-big") })).toEqual([]);
    expect(hidden.counts).toEqual({ check: 1, checkMany: 0, lookup: 0 });
    const absent = counted();
    const again = createAuthorizer({ port: absent.port }).forSubject(user("alice"));
    expect(await again.authorizedIds(apiKey, "read", { parent: agent("no-such") })).toEqual([]);
    expect(absent.counts).toEqual(hidden.counts);
  });

  it("a subject who sees the parent still gets its readable children", async () => {
    const { port, counts } = counted();
    const mallory = createAuthorizer({ port }).forSubject(user("mallory"));
    expect(await mallory.authorizedIds(apiKey, "read", { parent: agent("g1") })).toEqual([
      "k-mallory",
    ]);
    expect(counts.check).toBe(1);
    expect(counts.lookup).toBe(1);
  });
});
