import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthorizationError,
  type AuthorizationPort,
  AuthorizationUnavailableError,
  agent,
  apiKey,
  createAuthorizer,
  NotFoundError,
  toErrorResponse,
  user,
} from "../../src/index.js";
import type { EmbeddedSpiceDB } from "../../src/spicedb/index.js";
import { startAgentex } from "../support/agentex-world.js";
import { uid, withOverrides } from "../support/port-contract.js";

// The guarded port is internal: it is exercised through createAuthorizer, which runs every
// port call through it.

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

describe("error filter (fail closed)", () => {
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

describe("malformed answers (fail closed)", () => {
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

  it("canMany fails closed on a backend error or an answer of the wrong shape", async () => {
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

  it("authorizedIds fails closed on a malformed lookup answer", async () => {
    for (const answer of [{ items: null }, "abc", [1, 2], ["ok", "a b"], undefined]) {
      const port = withOverrides(db.port, { lookup: async () => answer as never });
      await expect(
        createAuthorizer({ port }).forSubject(user("alice")).authorizedIds(apiKey),
      ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    }
  });
});
