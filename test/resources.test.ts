import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  API_KEY_NOT_FOUND_MESSAGE,
  AuthorizationError,
  AuthorizationUnavailableError,
  agent,
  apiKey,
  ConfigurationError,
  ConflictError,
  createAuthorizer,
  defineResource,
  FgacError,
  InvalidIdentifierError,
  isFgacError,
  isValidId,
  NotFoundError,
  serviceAccount,
  toErrorResponse,
  UnauthenticatedError,
  user,
} from "../src/index.js";
import { memoryPort } from "../src/testing/index.js";

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
        const error = await authz.checkOrNotFound({ type: "api_key", id }, "read").catch((e) => e);
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
        if (id.length >= 3) expect((thrown as Error).message).not.toContain(id);
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

describe("errors", () => {
  it.each([
    [new AuthorizationError(), 403, "forbidden", "AuthorizationError"],
    [new NotFoundError(), 404, "not_found", "NotFoundError"],
    [new UnauthenticatedError(), 401, "unauthenticated", "UnauthenticatedError"],
    [new InvalidIdentifierError(), 400, "invalid_identifier", "InvalidIdentifierError"],
    [new ConflictError(), 409, "conflict", "ConflictError"],
    [
      new AuthorizationUnavailableError(),
      503,
      "authorization_unavailable",
      "AuthorizationUnavailableError",
    ],
  ] as const)("%s maps to its status", (error, status, code, name) => {
    expect(error).toBeInstanceOf(FgacError);
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(isFgacError(error)).toBe(true);
    const response = toErrorResponse(error);
    expect(response.status).toBe(status);
    expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(response.body)).toEqual({ message: error.message, code: status, data: null });
  });

  it("carries the cause", () => {
    const cause = new Error("socket");
    expect(new AuthorizationUnavailableError(undefined, { cause }).cause).toBe(cause);
  });

  it("isFgacError recognises a copy from another instance of the library", () => {
    const foreign = Object.assign(Object.create(Error.prototype), {
      code: "not_found",
      status: 404,
    });
    Object.defineProperty(foreign, Symbol.for("fgac.error"), { value: true });
    expect(isFgacError(foreign)).toBe(true);
    expect(isFgacError(Object.assign(new Error("x"), { code: "not_found", status: 404 }))).toBe(
      false,
    );
    expect(isFgacError(null)).toBe(false);
  });

  it("an unknown error becomes a generic 500 that reveals nothing of its cause", () => {
    const response = toErrorResponse(new Error("password=hunter2 at db.internal:5432"));
    expect(response.status).toBe(500);
    expect(response.body).toBe('{"message":"Internal server error.","code":500,"data":null}');
    expect(toErrorResponse("a string").status).toBe(500);
    const config = toErrorResponse(new ConfigurationError("schema lacks type agent_api_key"));
    expect(config.status).toBe(500);
    expect(config.body).not.toContain("agent_api_key");
  });

  it("the body can be replaced", () => {
    const response = toErrorResponse(new NotFoundError("Gone."), {
      body: ({ status, message, code }) => ({ error: { status, message, code } }),
    });
    expect(JSON.parse(response.body)).toEqual({
      error: { status: 404, message: "Gone.", code: "not_found" },
    });
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
