import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  API_KEY_NOT_FOUND_MESSAGE,
  AuthorizationError,
  type AuthorizationPort,
  AuthorizationUnavailableError,
  agent,
  apiKey,
  ConfigurationError,
  createAuthorizer,
  InvalidIdentifierError,
  NotFoundError,
  tenant,
  toErrorResponse,
  UnauthenticatedError,
  user,
} from "../src/index.js";
import { agentexPortOptions, type EmbeddedSpiceDB, spicedbPort } from "../src/spicedb/index.js";
import { recordingLogger } from "../src/testing/index.js";
import { startAgentex } from "./support/agentex-world.js";
import { uid, withOverrides } from "./support/port-contract.js";

/** The real port, with every call delayed: to exercise deadlines against the real backend. */
function slowed(port: AuthorizationPort, ms: number): AuthorizationPort {
  const delay = <T>(p: () => Promise<T>) => new Promise<T>((r) => setTimeout(() => r(p()), ms));
  return {
    check: (r) => delay(() => port.check(r)),
    checkMany: (r) => delay(() => port.checkMany(r)),
    lookup: (r) => delay(() => port.lookup(r)),
    grant: (r) => delay(() => port.grant(r)),
    revoke: (r) => delay(() => port.revoke(r)),
    register: (r) => delay(() => port.register(r)),
    deregister: (r) => delay(() => port.deregister(r)),
  };
}

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

  it("a port answering anything but a boolean fails closed", async () => {
    for (const answer of [1, "true", null, undefined, {}]) {
      const port = withOverrides(db.port, { check: async () => answer as never });
      const authz = createAuthorizer({ port }).forSubject(user("alice"));
      await expect(authz.can(apiKey("k-alice"), "read")).rejects.toBeInstanceOf(
        AuthorizationUnavailableError,
      );
    }
    const short = withOverrides(db.port, { checkMany: async () => [true] });
    const authz = createAuthorizer({ port: short }).forSubject(user("bob"));
    await expect(authz.checkOrNotFound(apiKey("k-bob"), "delete")).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
  });

  it("a port that denies by throwing AuthorizationError or NotFoundError fails closed, not 403/404", async () => {
    for (const thrown of [new AuthorizationError(), new NotFoundError("x")]) {
      const port = withOverrides(db.port, {
        check: async () => Promise.reject(thrown),
        checkMany: async () => Promise.reject(thrown),
      });
      const authz = createAuthorizer({ port, collapse: "always" }).forSubject(user("bob"));
      await expect(authz.checkOrNotFound(apiKey("k-bob"), "delete")).rejects.toBeInstanceOf(
        AuthorizationUnavailableError,
      );
      await expect(authz.can(apiKey("k-bob"), "read")).rejects.toBeInstanceOf(
        AuthorizationUnavailableError,
      );
    }
  });

  it("any non-library error from the port becomes AuthorizationUnavailableError", async () => {
    const port = withOverrides(db.port, {
      check: async () => Promise.reject(new TypeError("socket hang up")),
    });
    const authz = createAuthorizer({ port }).forSubject(user("alice"));
    const error = await authz.check(apiKey("k-alice"), "read").catch((e) => e);
    expect(error).toBeInstanceOf(AuthorizationUnavailableError);
    expect(error.cause).toBeInstanceOf(TypeError);
    expect(toErrorResponse(error).status).toBe(503);
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

  it("rejects an invalid consistency when binding", () => {
    const authorizer = createAuthorizer({ port: db.port });
    for (const consistency of [
      { kind: "atLeastAsFresh", token: "" },
      { kind: "eventually" },
      "fullyConsistent",
    ]) {
      expect(() =>
        authorizer.forSubject(user("alice"), { consistency: consistency as never }),
      ).toThrow(ConfigurationError);
    }
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

  it("fails closed on a backend error or an answer of the wrong shape", async () => {
    const keys = [apiKey("k-alice"), apiKey("k-bob")];
    for (const checkMany of [
      async () => {
        throw new Error("rpc error: code = Unavailable desc = down");
      },
      async () => [true],
      async () => [true, true, true],
      async () => [true, "false"],
      async () => null,
    ]) {
      const port = withOverrides(db.port, { checkMany: checkMany as never });
      await expect(
        createAuthorizer({ port }).forSubject(user("alice")).canMany(keys, "read"),
      ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    }
  });
});

describe("deadline", () => {
  it("a port call slower than timeoutMs fails with AuthorizationUnavailableError", async () => {
    const authz = createAuthorizer({ port: slowed(db.port, 200), timeoutMs: 50 }).forSubject(
      user("alice"),
    );
    await expect(authz.check(apiKey("k-alice"), "read")).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
    await expect(authz.can(apiKey("k-alice"), "read")).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
    await expect(authz.authorizedIds(apiKey)).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    // A write past its deadline is reported as failed even though it may still land later, so
    // it is made by a subject no other test lists.
    const writer = createAuthorizer({ port: slowed(db.port, 200), timeoutMs: 50 }).forSubject(
      user(uid("w")),
    );
    await expect(writer.register(apiKey(uid("k")), { parent: agent("a1") })).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
  });

  it("within the deadline the answer comes through", async () => {
    const authz = createAuthorizer({ port: slowed(db.port, 5), timeoutMs: 2000 }).forSubject(
      user("alice"),
    );
    await expect(authz.can(apiKey("k-alice"), "read")).resolves.toBe(true);
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

describe("checkOrNotFound", () => {
  const authzFor = (who: string, collapse?: "always" | "unless-readable") =>
    createAuthorizer({ port: db.port, ...(collapse ? { collapse } : {}) }).forSubject(user(who));

  it("absent and denied-unreadable give the same 404 with the kind's message", async () => {
    const absent = await authzFor("alice")
      .checkOrNotFound(apiKey("does-not-exist"), "read")
      .catch((e) => e);
    const denied = await authzFor("alice")
      .checkOrNotFound(apiKey("k-mallory"), "read")
      .catch((e) => e);
    for (const e of [absent, denied]) {
      expect(e).toBeInstanceOf(NotFoundError);
      expect(e.message).toBe(API_KEY_NOT_FOUND_MESSAGE);
    }
    expect(toErrorResponse(absent)).toEqual(toErrorResponse(denied));
  });

  it('"unless-readable": denied non-read on a readable resource is 403, otherwise 404', async () => {
    // bob can read k-bob but not delete it (no update on the parent agent).
    const readable = await authzFor("bob")
      .checkOrNotFound(apiKey("k-bob"), "delete")
      .catch((e) => e);
    expect(readable).toBeInstanceOf(AuthorizationError);
    expect(toErrorResponse(readable).status).toBe(403);
    const unreadable = await authzFor("bob")
      .checkOrNotFound(apiKey("k-mallory"), "delete")
      .catch((e) => e);
    expect(unreadable).toBeInstanceOf(NotFoundError);
    expect(unreadable.message).toBe(API_KEY_NOT_FOUND_MESSAGE);
  });

  it('"always": every denial is 404', async () => {
    const e = await authzFor("bob", "always")
      .checkOrNotFound(apiKey("k-bob"), "delete")
      .catch((x) => x);
    expect(e).toBeInstanceOf(NotFoundError);
    const perCall = await authzFor("bob")
      .checkOrNotFound(apiKey("k-bob"), "delete", { collapse: "always" })
      .catch((x) => x);
    expect(perCall).toBeInstanceOf(NotFoundError);
  });

  it("asks for the permission and read in one checkMany round trip", async () => {
    const calls: string[] = [];
    const port = withOverrides(db.port, {
      check: (r) => {
        calls.push("check");
        return db.port.check(r);
      },
      checkMany: (r) => {
        calls.push(`checkMany:${r.length}`);
        return db.port.checkMany(r);
      },
    });
    await createAuthorizer({ port })
      .forSubject(user("bob"))
      .checkOrNotFound(apiKey("k-bob"), "delete")
      .catch(() => {});
    expect(calls).toEqual(["checkMany:2"]);
  });

  it("allowed resolves; a custom message is used; outages are not disguised as 404", async () => {
    await expect(
      authzFor("alice").checkOrNotFound(apiKey("k-alice"), "delete"),
    ).resolves.toBeUndefined();
    const e = await authzFor("alice")
      .checkOrNotFound(apiKey("k-mallory"), "read", { message: "Gone." })
      .catch((x) => x);
    expect(e.message).toBe("Gone.");
    const broken = withOverrides(db.port, {
      checkMany: async () => Promise.reject(new Error("down")),
    });
    const outage = await createAuthorizer({ port: broken })
      .forSubject(user("bob"))
      .checkOrNotFound(apiKey("k-bob"), "delete")
      .catch((x) => x);
    expect(outage).toBeInstanceOf(AuthorizationUnavailableError);
  });

  it("an invalid id answers the same 404 without a backend call", async () => {
    let called = 0;
    const port = withOverrides(db.port, {
      check: async () => {
        called++;
        return true;
      },
      checkMany: async () => {
        called++;
        return [true, true];
      },
    });
    const authz = createAuthorizer({ port }).forSubject(user("alice"));
    const e = await authz.checkOrNotFound({ type: "api_key", id: "*" }, "read").catch((x) => x);
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toBe(API_KEY_NOT_FOUND_MESSAGE);
    expect(called).toBe(0);
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

  it("fails closed on a malformed lookup answer", async () => {
    for (const answer of [{ items: null }, "abc", [1, 2], ["ok", "a b"], undefined]) {
      const port = withOverrides(db.port, { lookup: async () => answer as never });
      await expect(
        createAuthorizer({ port }).forSubject(user("alice")).authorizedIds(apiKey),
      ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    }
  });
});
