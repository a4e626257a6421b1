import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  API_KEY_NOT_FOUND_MESSAGE,
  agent,
  apiKey,
  ConfigurationError,
  createAuthorizer,
  defineResource,
  defineSubject,
  InvalidIdentifierError,
  isValidId,
  NotFoundError,
  serviceAccount,
  toErrorResponse,
  user,
} from "../../src/index.js";
import { memoryPort } from "../../src/testing/index.js";

describe("resource kinds", () => {
  it("build typed resources", () => {
    expect(apiKey("k1")).toEqual({ type: "api_key", id: "k1" });
    expect(agent("a1")).toEqual({ type: "agent", id: "a1" });
    expect(apiKey.type).toBe("api_key");
    expect(apiKey.notFoundMessage).toBe("Agent api_key not found.");
    expect(API_KEY_NOT_FOUND_MESSAGE).toBe(apiKey.notFoundMessage);
    expect(agent.notFoundMessage).toBe("Agent not found.");
    expect(user("u1")).toEqual({ type: "user", id: "u1" });
    expect(serviceAccount("s1")).toEqual({ type: "service_account", id: "s1" });
  });

  it.each(["", "*", "a b", "x".repeat(1025), "a#b", "a@b", "a:b", "é", "a\nb", "a.b"])(
    "rejects the id %j with InvalidIdentifierError",
    (id) => {
      expect(() => apiKey(id)).toThrow(InvalidIdentifierError);
      expect(apiKey.isValidId(id)).toBe(false);
      expect(() => user(id)).toThrow(InvalidIdentifierError);
    },
  );

  it.each(["a", "K-1", "x".repeat(1024), "a/b|c=d+e_f-g"])("accepts the id %j", (id) => {
    expect(apiKey(id).id).toBe(id);
  });

  it("rejects invalid type names and options at definition time", () => {
    expect(() => defineResource("Bad Type")).toThrow(ConfigurationError);
    expect(() => defineResource("ok_type", { permissions: ["Not Valid"] })).toThrow(
      ConfigurationError,
    );
    expect(() => defineResource("ok_type", { notFoundMessage: "" })).toThrow(ConfigurationError);
  });

  it("defaults to a generic not-found message", () => {
    expect(defineResource("widget").notFoundMessage).toBe("Not found.");
  });

  it("two kinds with the same type name keep their own not-found messages", async () => {
    const first = defineResource("gadget", { notFoundMessage: "First gadget not found." });
    const early = first("g1");
    const second = defineResource("gadget", { notFoundMessage: "Second gadget not found." });
    const otherApiKey = defineResource("api_key", { notFoundMessage: "Some other key." });
    expect(first.notFoundMessage).toBe("First gadget not found.");
    expect(second.notFoundMessage).toBe("Second gadget not found.");
    // The message is not part of the value: equal resources, the same JSON.
    expect(early).toEqual(second("g1"));
    expect(JSON.stringify(early)).toBe('{"type":"gadget","id":"g1"}');
    const authz = createAuthorizer({ port: memoryPort() }).forSubject(user("alice"));
    const messageOf = (r: { type: string; id: string }) =>
      authz.checkOrNotFound(r, "read").catch((e: Error) => e.message);
    expect(await messageOf(early)).toBe("First gadget not found.");
    expect(await messageOf(first("g2"))).toBe("First gadget not found.");
    expect(await messageOf(second("g1"))).toBe("Second gadget not found.");
    expect(await messageOf(otherApiKey("k1"))).toBe("Some other key.");
    expect(await messageOf(apiKey("k1"))).toBe(API_KEY_NOT_FOUND_MESSAGE);
  });
});

describe("property: ids and messages", () => {
  const anyId = fc.oneof(
    fc.string({ maxLength: 1100 }),
    fc.stringMatching(/^[a-zA-Z0-9/_|\-=+]{1,40}$/),
  );

  it("no id ever appears in a not-found message or in the 404 body", async () => {
    const port = memoryPort();
    const authz = createAuthorizer({ port }).forSubject(user("alice"));
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[a-zA-Z0-9/_|\-=+]{6,60}$/), async (id) => {
        // Built by its kind, as callers do: the kind's constant message, never the id.
        const error = await authz.checkOrNotFound(apiKey(id), "read").catch((e) => e);
        expect(error).toBeInstanceOf(NotFoundError);
        expect(error.message).not.toContain(id);
        expect(toErrorResponse(error).body).not.toContain(id);
        expect(toErrorResponse(error).body).toBe(
          JSON.stringify({ message: API_KEY_NOT_FOUND_MESSAGE, code: 404, data: null }),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("invalid ids are rejected before any backend call, with an id-free message", async () => {
    const port = memoryPort({ allow: [{}] });
    const authz = createAuthorizer({ port }).forSubject(user("alice"));
    await fc.assert(
      fc.asyncProperty(anyId, async (id) => {
        const valid: boolean = isValidId(id);
        fc.pre(!valid);
        const before = port.calls.length;
        let thrown: unknown;
        try {
          apiKey(id);
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toBeInstanceOf(InvalidIdentifierError);
        // A constant: it names no id (a bare "not contain" flaked when a short random id such
        // as " id" happened to be a substring of the constant itself).
        expect((thrown as Error).message).toBe("Invalid identifier.");
        await expect(authz.can({ type: "api_key", id }, "read")).rejects.toBeInstanceOf(
          InvalidIdentifierError,
        );
        await expect(authz.checkOrNotFound({ type: "api_key", id }, "read")).rejects.toBeInstanceOf(
          NotFoundError,
        );
        expect(port.calls.length).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it("isValidId matches SpiceDB's object-id rule exactly", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 1100, unit: "binary" }), (id) => {
        expect(isValidId(id)).toBe(/^[a-zA-Z0-9/_|\-=+]{1,1024}$/.test(id));
      }),
    );
  });
});

describe("wildcard subjects", () => {
  it("cannot act: forSubject and checks reject `*` before any backend call", async () => {
    const port = memoryPort({ allow: [{}] });
    const star = { type: "user", id: "*" };
    expect(() => createAuthorizer({ port }).forSubject(star)).toThrow(InvalidIdentifierError);
    await expect(
      port.check({ subject: star, resource: apiKey("k1"), permission: "read" }),
    ).rejects.toBeInstanceOf(InvalidIdentifierError);
    await expect(
      port.lookup({ subject: star, resourceType: "api_key", permission: "read" }),
    ).rejects.toBeInstanceOf(InvalidIdentifierError);
  });

  it("can be granted (public access) through the port", async () => {
    const port = memoryPort();
    await port.grant({
      subject: { type: "user", id: "*" },
      resource: apiKey("k1"),
      relation: "viewer",
    });
    expect(port.edges).toHaveLength(1);
  });
});

describe("defineSubject and readPermission: null", () => {
  it("a subject kind builds frozen subjects of its type and rejects invalid ids", () => {
    const member = defineSubject("member");
    expect(member.type).toBe("member");
    expect(member("m1")).toEqual({ type: "member", id: "m1" });
    expect(Object.isFrozen(member("m1"))).toBe(true);
    expect(() => member("a b")).toThrow(InvalidIdentifierError);
    expect(() => defineSubject("Bad Type")).toThrow(ConfigurationError);
    expect(user.type).toBe("user");
    expect(serviceAccount.type).toBe("service_account");
  });

  it("readPermission: null is none, even when the kind lists read or nothing", () => {
    expect(defineResource("thing", { readPermission: null }).readPermission).toBeUndefined();
    const listed = defineResource("thing", { permissions: ["read"], readPermission: null });
    expect(listed.readPermission).toBeUndefined();
    expect(defineResource("thing").readPermission).toBe("read");
  });
});
