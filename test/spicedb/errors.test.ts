// SpiceDB's errors: the gRPC status read from either client's error shape, and its mapping to
// the library's errors.
import { describe, expect, it } from "vitest";
import {
  AuthorizationUnavailableError,
  ConfigurationError,
  ConflictError,
} from "../../src/index.js";
import { grpcStatusOf } from "../../src/spicedb/errors.js";
import { mapSpiceDBError } from "../../src/spicedb/index.js";

describe("gRPC error mapping", () => {
  it("reads the embedded library's plain Error shape", () => {
    const e = new Error(
      "rpc error: code = FailedPrecondition desc = object definition `x` not found",
    );
    expect(grpcStatusOf(e)).toEqual({
      code: "FAILED_PRECONDITION",
      details: "object definition `x` not found",
    });
    expect(mapSpiceDBError(e)).toBeInstanceOf(ConfigurationError);
  });

  it("reads grpc-js ServiceError shape", () => {
    const e = Object.assign(new Error("14 UNAVAILABLE: connect ECONNREFUSED"), {
      code: 14,
      details: "connect ECONNREFUSED",
    });
    expect(grpcStatusOf(e)?.code).toBe("UNAVAILABLE");
    expect(mapSpiceDBError(e)).toBeInstanceOf(AuthorizationUnavailableError);
  });

  it.each([
    ["rpc error: code = Unavailable desc = down", AuthorizationUnavailableError],
    ["rpc error: code = DeadlineExceeded desc = slow", AuthorizationUnavailableError],
    ["rpc error: code = Canceled desc = gone", AuthorizationUnavailableError],
    ["rpc error: code = Internal desc = boom", AuthorizationUnavailableError],
    ["rpc error: code = Unauthenticated desc = bad token", AuthorizationUnavailableError],
    ["rpc error: code = AlreadyExists desc = dup", ConflictError],
    [
      "rpc error: code = FailedPrecondition desc = unable to satisfy write precondition",
      ConflictError,
    ],
    ["rpc error: code = InvalidArgument desc = bad", ConfigurationError],
    ["invalid handle: 1", AuthorizationUnavailableError],
    ["something else entirely", AuthorizationUnavailableError],
  ])("%s", (message, cls) => {
    const mapped = mapSpiceDBError(new Error(message));
    expect(mapped).toBeInstanceOf(cls);
    expect(mapped.message).not.toContain(message);
  });
});
