import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collapseQuestions, decideCollapse } from "../../src/core/collapse.js";
import {
  API_KEY_NOT_FOUND_MESSAGE,
  AuthorizationError,
  AuthorizationUnavailableError,
  apiKey,
  collapseToNotFound,
  createAuthorizer,
  NotFoundError,
  toErrorResponse,
  user,
} from "../../src/index.js";
import type { EmbeddedSpiceDB } from "../../src/spicedb/index.js";
import { startAgentex } from "../support/agentex-world.js";
import { withOverrides } from "../support/port-contract.js";

let db: EmbeddedSpiceDB;
beforeAll(async () => {
  db = await startAgentex();
});
afterAll(() => db.close());

describe("collapseQuestions", () => {
  it('"unless-readable" also asks for read, unless the permission is read', () => {
    expect(collapseQuestions("unless-readable", "delete")).toEqual(["delete", "read"]);
    expect(collapseQuestions("unless-readable", "read")).toEqual(["read"]);
  });

  it('"always" asks only for the permission', () => {
    expect(collapseQuestions("always", "delete")).toEqual(["delete"]);
    expect(collapseQuestions("always", "read")).toEqual(["read"]);
  });
});

describe("decideCollapse", () => {
  it("allowed is allow, whatever the policy", () => {
    for (const policy of ["always", "unless-readable"] as const) {
      expect(decideCollapse({ policy, permission: "delete", answers: [true, false] })).toBe(
        "allow",
      );
      expect(decideCollapse({ policy, permission: "read", answers: [true] })).toBe("allow");
    }
  });

  it('"unless-readable": denied but readable is forbidden', () => {
    const input = { policy: "unless-readable", permission: "delete" } as const;
    expect(decideCollapse({ ...input, answers: [false, true] })).toBe("forbidden");
  });

  it('"unless-readable": denied and unreadable, or denied read, is not_found', () => {
    const input = { policy: "unless-readable", permission: "delete" } as const;
    expect(decideCollapse({ ...input, answers: [false, false] })).toBe("not_found");
    expect(
      decideCollapse({ policy: "unless-readable", permission: "read", answers: [false] }),
    ).toBe("not_found");
  });

  it('"always" ignores readable: every denial is not_found', () => {
    const input = { policy: "always", permission: "delete" } as const;
    expect(decideCollapse({ ...input, answers: [false, true] })).toBe("not_found");
    expect(decideCollapse({ ...input, answers: [false] })).toBe("not_found");
  });

  it("an invalid id (no answers) is not_found, whatever the policy", () => {
    for (const policy of ["always", "unless-readable"] as const) {
      expect(decideCollapse({ policy, permission: "delete", answers: undefined })).toBe(
        "not_found",
      );
      expect(decideCollapse({ policy, permission: "read", answers: undefined })).toBe("not_found");
    }
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
    // `*` cannot be built by a kind: the caller passes the kind's message, as the adapters do.
    const e = await authz
      .checkOrNotFound({ type: "api_key", id: "*" }, "read", { message: API_KEY_NOT_FOUND_MESSAGE })
      .catch((x) => x);
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toBe(API_KEY_NOT_FOUND_MESSAGE);
    // Without one, a plain object has no kind: the generic message.
    const plain = await authz.checkOrNotFound({ type: "api_key", id: "*" }, "read").catch((x) => x);
    expect(plain).toBeInstanceOf(NotFoundError);
    expect(plain.message).toBe("Not found.");
    expect(called).toBe(0);
  });
});

describe("collapseToNotFound", () => {
  it("turns a denial into NotFoundError with the given message", async () => {
    const authz = createAuthorizer({ port: db.port }).forSubject(user("alice"));
    const e = await collapseToNotFound(
      authz.check(apiKey("k-mallory"), "read"),
      "Agent api_key not found.",
    ).catch((x) => x);
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toBe("Agent api_key not found.");
    await expect(
      collapseToNotFound(() => authz.check(apiKey("k-alice"), "read"), "x"),
    ).resolves.toBeUndefined();
  });

  it("lets every other error through unchanged", async () => {
    const outage = new AuthorizationUnavailableError();
    await expect(collapseToNotFound(Promise.reject(outage), "x")).rejects.toBe(outage);
    const bug = new TypeError("bug");
    await expect(collapseToNotFound(() => Promise.reject(bug), "x")).rejects.toBe(bug);
    const forbidden = new AuthorizationError();
    await expect(collapseToNotFound(Promise.reject(forbidden), "Gone.")).rejects.toBeInstanceOf(
      NotFoundError,
    );
    // An AuthorizationError from another copy of the library (ESM next to CJS).
    const foreign = Object.assign(Object.create(Error.prototype), {
      code: "forbidden",
      status: 403,
    });
    Object.defineProperty(foreign, Symbol.for("fgac.error"), { value: true });
    await expect(collapseToNotFound(Promise.reject(foreign), "Gone.")).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});
