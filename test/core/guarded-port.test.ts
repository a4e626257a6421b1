import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbandonedError } from "../../src/core/guarded-port.js";
import {
  AuthorizationError,
  type AuthorizationPort,
  AuthorizationUnavailableError,
  agent,
  apiKey,
  type CallOptions,
  ConfigurationError,
  createAuthorizer,
  NotFoundError,
  toErrorResponse,
  user,
} from "../../src/index.js";
import type { EmbeddedSpiceDB } from "../../src/spicedb/index.js";
import { recordingLogger } from "../../src/testing/index.js";
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

  it("an 'abandoned' error the caller did not ask for is a failure: logged, 503", async () => {
    // A port sharing one call's work among callers could hand another caller's abandonment on.
    const logger = recordingLogger();
    const port = withOverrides(db.port, {
      lookup: async () => Promise.reject(new AbandonedError()),
    });
    const authz = createAuthorizer({ port, logger, retry: false }).forSubject(user("alice"));
    await expect(authz.authorizedIds(apiKey, "read")).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
    expect(logger.entries.filter((e) => e.level === "error").map((e) => e.msg)).toEqual([
      "fgac: lookup failed",
    ]);
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

describe("cancellation", () => {
  it("the deadline aborts the signal the port was given, so its work stops", async () => {
    const signals: AbortSignal[] = [];
    const hang = (_: unknown, options?: CallOptions) => {
      if (options?.signal) signals.push(options.signal);
      return new Promise<never>(() => {});
    };
    const port = withOverrides(db.port, { check: hang, checkMany: hang, lookup: hang });
    const authz = createAuthorizer({ port, timeoutMs: 30 }).forSubject(user("alice"));
    for (const call of [
      () => authz.can(apiKey("k-alice"), "read"),
      () => authz.canMany([apiKey("k-alice"), apiKey("k-bob")], "read"),
      () => authz.authorizedIds(apiKey),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    }
    expect(signals).toHaveLength(3);
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it("a call that settled leaves nothing running: its signal is aborted too", async () => {
    let seen: AbortSignal | undefined;
    const port = withOverrides(db.port, {
      check: (r, options) => {
        seen = options?.signal;
        return db.port.check(r);
      },
    });
    await createAuthorizer({ port }).forSubject(user("alice")).can(apiKey("k-alice"), "read");
    expect(seen?.aborted).toBe(true);
  });
});

/** The real port, whose `op` first fails `times` times with `error`. */
function failingFirst(op: "check" | "lookup" | "grant", times: number, error: () => Error) {
  let calls = 0;
  const port = withOverrides(db.port, {
    [op]: (r: never, o?: CallOptions) => {
      calls += 1;
      if (calls <= times) return Promise.reject(error());
      return (db.port[op] as (r: never, o?: CallOptions) => Promise<unknown>)(r, o);
    },
  });
  return { port, calls: () => calls };
}

const transient = () => new AuthorizationUnavailableError(undefined, { transient: true });

describe("retries", () => {
  it("a read that fails transiently is retried within the deadline, and each retry logged", async () => {
    const logger = recordingLogger();
    const check = failingFirst("check", 2, transient);
    const authz = createAuthorizer({ port: check.port, logger }).forSubject(user("alice"));
    expect(await authz.can(apiKey("k-alice"), "read")).toBe(true);
    expect(check.calls()).toBe(3);
    const retries = logger.entries.filter((e) => e.obj["retry"] !== undefined);
    expect(retries.map((e) => [e.level, e.obj["retry"]])).toEqual([
      ["warn", 1],
      ["warn", 2],
    ]);
    const lookup = failingFirst("lookup", 1, transient);
    const lister = createAuthorizer({ port: lookup.port }).forSubject(user("alice"));
    expect(await lister.authorizedIds(apiKey)).toEqual(["k-alice"]);
    expect(lookup.calls()).toBe(2);
  });

  it("gives up after `attempts` and fails closed; never retries what is not transient", async () => {
    const always = failingFirst("check", 99, transient);
    const authz = createAuthorizer({ port: always.port, retry: { attempts: 3, baseDelayMs: 1 } });
    await expect(
      authz.forSubject(user("alice")).can(apiKey("k-alice"), "read"),
    ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(always.calls()).toBe(4);
    const permanent = failingFirst("check", 1, () => new AuthorizationUnavailableError());
    await expect(
      createAuthorizer({ port: permanent.port })
        .forSubject(user("alice"))
        .can(apiKey("k-alice"), "read"),
    ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(permanent.calls()).toBe(1);
    const off = failingFirst("check", 1, transient);
    await expect(
      createAuthorizer({ port: off.port, retry: false })
        .forSubject(user("alice"))
        .can(apiKey("k-alice"), "read"),
    ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(off.calls()).toBe(1);
  });

  it("never retries a write: its outcome is unknown", async () => {
    const grant = failingFirst("grant", 1, transient);
    const authz = createAuthorizer({ port: grant.port }).forSubject(user(uid("w")));
    await expect(authz.grant(apiKey(uid("k")), "viewer")).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
    expect(grant.calls()).toBe(1);
  });

  it("retries stop at the deadline: the caller waits no longer than timeoutMs", async () => {
    const always = failingFirst("check", 1e9, transient);
    const authz = createAuthorizer({
      port: always.port,
      timeoutMs: 100,
      retry: { attempts: 10, baseDelayMs: 1000 },
    }).forSubject(user("alice"));
    const started = performance.now();
    await expect(authz.can(apiKey("k-alice"), "read")).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
    // Ten backoffs of up to 1 s each would take minutes; the deadline cuts them (a generous
    // bound, not a timing of the happy path).
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe("limits", () => {
  it("canMany past limits.checkMany is refused before the backend is asked", async () => {
    let calls = 0;
    const port = withOverrides(db.port, {
      checkMany: (r, o) => {
        calls += 1;
        return db.port.checkMany(r, o);
      },
    });
    const authz = createAuthorizer({ port }).forSubject(user("alice"));
    const many = Array.from({ length: 10_001 }, (_, i) => apiKey(`k${i}`));
    await expect(authz.canMany(many, "read")).rejects.toBeInstanceOf(ConfigurationError);
    expect(calls).toBe(0);
    const small = createAuthorizer({ port, limits: { checkMany: 2 } }).forSubject(user("alice"));
    await expect(small.canMany(many.slice(0, 3), "read")).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    expect(calls).toBe(0);
  });

  it("canMany asks in chunks of at most 1000, answers in order", async () => {
    const sizes: number[] = [];
    const port = withOverrides(db.port, {
      checkMany: (r, o) => {
        sizes.push(r.length);
        return db.port.checkMany(r, o);
      },
    });
    const keys = [apiKey("k-alice"), ...Array.from({ length: 2400 }, (_, i) => apiKey(`n${i}`))];
    const answers = await createAuthorizer({ port })
      .forSubject(user("alice"))
      .canMany(keys, "read");
    expect(sizes).toEqual([1000, 1000, 401]);
    expect(answers[0]).toBe(true);
    expect(answers.slice(1).every((a) => a === false)).toBe(true);
  });

  it("a lookup answering more than limits.lookupIds fails closed", async () => {
    const port = withOverrides(db.port, { lookup: async () => ["a1", "a2", "a3"] });
    const authz = createAuthorizer({ port, limits: { lookupIds: 2 } }).forSubject(user("alice"));
    await expect(authz.authorizedIds(apiKey)).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe("a write the backend refuses", () => {
  it("is an AuthorizationError (403), while a read answering it still fails closed", async () => {
    const port = withOverrides(db.port, {
      grant: () => Promise.reject(new AuthorizationError()),
      check: () => Promise.reject(new AuthorizationError()),
    });
    const authz = createAuthorizer({ port }).forSubject(user(uid("w")));
    await expect(authz.grant(apiKey(uid("k")), "viewer")).rejects.toBeInstanceOf(
      AuthorizationError,
    );
    await expect(authz.can(apiKey("k-alice"), "read")).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
  });
});
