// SpiceDB's errors: the gRPC status read from either client's error shape, its mapping to the
// library's errors (transient or not), and the tokens SpiceDB rejects: a 400, never an allow.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthorizationUnavailableError,
  agent,
  apiKey,
  ConfigurationError,
  ConflictError,
  createAuthorizer,
  InvalidConsistencyTokenError,
  type Resource,
  user,
} from "../../src/index.js";
import { grpcStatusOf } from "../../src/spicedb/errors.js";
import {
  agentexPortOptions,
  type EmbeddedSpiceDB,
  mapSpiceDBError,
  spicedbPort,
} from "../../src/spicedb/index.js";
import { integerRevision } from "../../src/spicedb/zedtoken.js";
import { startAgentex } from "../support/agentex-world.js";
import { zedToken } from "../support/zedtoken.js";

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
    [
      "rpc error: code = InvalidArgument desc = provided limit 1001 is greater than maximum allowed of 1000",
      ConfigurationError,
    ],
    ["rpc error: code = OutOfRange desc = something else", AuthorizationUnavailableError],
    [
      "rpc error: code = InvalidArgument desc = invalid revision requested",
      InvalidConsistencyTokenError,
    ],
    [
      "rpc error: code = OutOfRange desc = invalid zedtoken: failed to lookup namespaces: revision was invalid",
      InvalidConsistencyTokenError,
    ],
    [
      "rpc error: code = Internal desc = unexpected consistency middleware error: ZedToken specified references a different datastore instance and SpiceDB is configured to raise an error in this scenario",
      InvalidConsistencyTokenError,
    ],
    ["invalid handle: 1", AuthorizationUnavailableError],
    ["something else entirely", AuthorizationUnavailableError],
  ])("%s", (message, cls) => {
    const mapped = mapSpiceDBError(new Error(message));
    expect(mapped).toBeInstanceOf(cls);
    expect(mapped.message).not.toContain(message);
  });

  const serviceError = (code: number, details: string) =>
    Object.assign(new Error(`${code} X: ${details}`), { code, details });
  it.each([
    ["unavailable", serviceError(14, "No connection established"), true],
    ["connection dropped", serviceError(14, "Connection dropped"), true],
    ["reset stream", serviceError(13, "Received RST_STREAM with code 2 (read ECONNRESET)"), true],
    ["embedded unavailable", new Error("rpc error: code = Unavailable desc = down"), true],
    ["deadline exceeded", serviceError(4, "Deadline exceeded after 5.001s"), false],
    ["internal", serviceError(13, "boom"), false],
    ["unknown", serviceError(2, "no idea"), false],
    ["cancelled", serviceError(1, "Cancelled on client"), false],
    ["resource exhausted", serviceError(8, "rate limited"), false],
    ["unauthenticated", serviceError(16, "bad token"), false],
    ["not gRPC at all", new Error("invalid handle: 1"), false],
  ])("transient: %s -> %s", (_, error, transient) => {
    const mapped = mapSpiceDBError(error);
    expect(mapped).toBeInstanceOf(AuthorizationUnavailableError);
    expect((mapped as AuthorizationUnavailableError).transient).toBe(transient);
  });
});

describe("consistency tokens SpiceDB rejects", () => {
  let db: EmbeddedSpiceDB;
  let other: EmbeddedSpiceDB;
  let real: string; // a token of db, written after the world
  beforeAll(async () => {
    [db, other] = await Promise.all([startAgentex(), startAgentex()]);
    real = (
      await db.port.grant({ subject: user("carol"), resource: agent("a1"), relation: "viewer" })
    ).token!;
  });
  afterAll(async () => {
    await db?.close();
    await other?.close();
  });

  /** Revision and datastore of a memory-datastore token. */
  const fieldsOf = (token: string) => {
    const fields = integerRevision(token);
    if (!fields) throw new Error("not a token of an integer-revision datastore");
    return fields;
  };
  const hostile = (): Array<[string, string]> => {
    const { revision, datastore } = fieldsOf(real);
    const hour = 3_600_000_000_000n;
    return [
      ["random base64", Buffer.from("not a zedtoken at all").toString("base64")],
      ["a truncated real token", real.slice(0, Math.floor(real.length / 2))],
      ["not base64", "abc:def.ghi"],
      [
        "an HLC revision on an integer datastore",
        zedToken("1700000000000000000.0000000001", datastore),
      ],
      ["a revision past int64", zedToken("99999999999999999999999", datastore)],
      ["from the future (+1 h)", zedToken(String(revision + hour), datastore)],
      ["from the future, no datastore", zedToken(String(revision + hour), "")],
    ];
  };

  it("every read through spicedbPort: InvalidConsistencyTokenError", async () => {
    const k = apiKey("k-alice");
    for (const [name, token] of hostile()) {
      const consistency = { kind: "atLeastAsFresh", token } as const;
      const subject = user("alice");
      const calls: Array<[string, () => Promise<unknown>]> = [
        ["check", () => db.port.check({ subject, resource: k, permission: "read", consistency })],
        [
          "checkMany",
          () => db.port.checkMany([{ subject, resource: k, permission: "read", consistency }]),
        ],
        [
          "lookup",
          () =>
            db.port.lookup({ subject, resourceType: "api_key", permission: "read", consistency }),
        ],
        [
          "lookup under a parent",
          () =>
            db.port.lookup({
              subject,
              resourceType: "api_key",
              permission: "read",
              parent: agent("a1"),
              consistency,
            }),
        ],
      ];
      for (const [op, call] of calls) {
        const error = await call().then(
          () => undefined,
          (e: InvalidConsistencyTokenError) => e,
        );
        expect(`${name}, ${op}: ${error?.name}`).toBe(
          `${name}, ${op}: InvalidConsistencyTokenError`,
        );
        expect(error?.status).toBe(400);
      }
    }
  });

  it("through forSubject(subject, { consistency }).can: InvalidConsistencyTokenError, never true", async () => {
    const authorizer = createAuthorizer({ port: db.port });
    for (const [name, token] of hostile()) {
      const authz = authorizer.forSubject(user("alice"), {
        consistency: { kind: "atLeastAsFresh", token },
      });
      const answer = await authz.can(apiKey("k-alice"), "read").catch((e) => e);
      expect(`${name}: ${answer?.name}`).toBe(`${name}: InvalidConsistencyTokenError`);
      const ids = await authz.authorizedIds(apiKey, "read").catch((e) => e);
      expect(`${name}: ${ids?.name}`).toBe(`${name}: InvalidConsistencyTokenError`);
    }
  });

  it("a foreign token (another datastore) is accepted, read as fully consistent: never wider", async () => {
    const foreign = (await other.port.grant({ subject: user("x"), resource: agent("g9") })).token!;
    const future = zedToken(
      String(fieldsOf(foreign).revision + 3_600_000_000_000n),
      fieldsOf(foreign).datastore,
    );
    // SpiceDB (default --datastore-mismatched-token-behavior) logs that it treats such a token
    // as a request for full consistency: consistency changes freshness, never who is allowed.
    const reader = spicedbPort({ client: db.client }, agentexPortOptions);
    const visible = (resource: Resource, who: string, token: string) =>
      reader.check({
        subject: user(who),
        resource,
        permission: "read",
        consistency: { kind: "atLeastAsFresh", token },
      });
    await db.port.grant({
      subject: user("carol"),
      resource: apiKey("k-alice"),
      relation: "viewer",
    });
    for (const token of [foreign, future]) {
      expect(await visible(agent("a1"), "carol", token)).toBe(true); // granted above
      expect(await visible(apiKey("k-alice"), "carol", token)).toBe(true); // granted just before
      expect(await visible(apiKey("k-alice"), "mallory", token)).toBe(false); // never granted
      expect(await visible(agent("g1"), "alice", token)).toBe(false);
    }
  });
});
