import { describe, expect, it } from "vitest";
import {
  AuthorizationUnavailableError,
  agent,
  apiKey,
  createAuthorizer,
  NotFoundError,
  user,
} from "../../src/index.js";
import { memoryPort } from "../../src/testing/index.js";

describe("memoryPort test controls", () => {
  it("denies by default and allows what rules allow", async () => {
    const port = memoryPort({
      allow: [
        {
          subject: { type: "user", id: "alice" },
          resource: { type: "api_key", id: "k1" },
          permission: "read",
        },
      ],
    });
    const alice = user("alice");
    expect(await port.check({ subject: alice, resource: apiKey("k1"), permission: "read" })).toBe(
      true,
    );
    expect(await port.check({ subject: alice, resource: apiKey("k1"), permission: "delete" })).toBe(
      false,
    );
    expect(
      await port.check({ subject: user("bob"), resource: apiKey("k1"), permission: "read" }),
    ).toBe(false);
    expect(
      await port.lookup({ subject: alice, resourceType: "api_key", permission: "read" }),
    ).toEqual(["k1"]);
    port.allow({ subject: { type: "user", id: "bob" }, resource: { type: "api_key" } });
    expect(
      await port.lookup({ subject: user("bob"), resourceType: "api_key", permission: "read" }),
    ).toBeNull();
  });

  it("records every call", async () => {
    const port = memoryPort();
    await port.check({ subject: user("a"), resource: agent("x"), permission: "read" });
    await port.register({ subject: user("a"), resource: agent("x") });
    expect(port.calls.map((c) => c.op)).toEqual(["check", "register"]);
    expect(port.callsOf("register")[0]?.req.resource).toEqual(agent("x"));
  });

  it("fails on demand, for some ops, some times, or by hanging", async () => {
    const port = memoryPort({ allow: [{}] });
    port.fail(undefined, { ops: ["check"], times: 1 });
    const req = { subject: user("a"), resource: agent("x"), permission: "read" };
    await expect(port.check(req)).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(await port.check(req)).toBe(true);
    port.fail(new Error("boom"));
    await expect(
      port.lookup({ subject: user("a"), resourceType: "agent", permission: "read" }),
    ).rejects.toThrow("boom");
    port.recover().fail(undefined, { hang: true });
    const authz = createAuthorizer({ port, timeoutMs: 20 }).forSubject(user("a"));
    await expect(authz.checkOrNotFound(agent("x"), "read")).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
    port.reset();
    await expect(
      createAuthorizer({ port }).forSubject(user("a")).checkOrNotFound(agent("x"), "read"),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});
