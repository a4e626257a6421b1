import { describe, expect, it } from "vitest";
import {
  AuthorizationError,
  AuthorizationUnavailableError,
  ConfigurationError,
  ConflictError,
  FgacError,
  InvalidIdentifierError,
  isFgacError,
  NotFoundError,
  toErrorResponse,
  UnauthenticatedError,
} from "../../src/index.js";

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
