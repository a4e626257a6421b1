import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthorizationError,
  AuthorizationUnavailableError,
  apiKey,
  createAuthorizer,
  findOrNotFound,
  NotFoundError,
  PLACEHOLDER_ID,
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

/** The rows of a table keyed by name, and the ids each check asked about. */
function world() {
  const rows: Record<string, { id: string; name: string }> = {
    "alice-ci": { id: "k-alice", name: "alice-ci" },
    "bob-laptop": { id: "k-bob", name: "bob-laptop" },
    broken: { id: "not a valid id", name: "broken" },
  };
  const asked: string[] = [];
  const port = withOverrides(db.port, {
    check: (req, o) => {
      asked.push(req.resource.id);
      return db.port.check(req, o);
    },
    checkMany: (reqs, o) => {
      asked.push(...reqs.map((r) => r.resource.id));
      return db.port.checkMany(reqs, o);
    },
  });
  const find = (name: string) => async () => rows[name];
  return { port, asked, find };
}

describe("findOrNotFound", () => {
  it("returns the row when allowed; absent and hidden are the same 404 after the same call", async () => {
    const { port, asked, find } = world();
    const authorizer = createAuthorizer({ port, timing: false });
    const alice = authorizer.forSubject(user("alice"));
    expect(await findOrNotFound(alice, apiKey, "read", find("alice-ci"))).toEqual({
      id: "k-alice",
      name: "alice-ci",
    });
    const mallory = authorizer.forSubject(user("mallory"));
    asked.length = 0;
    const hidden = await findOrNotFound(mallory, apiKey, "read", find("alice-ci")).catch((e) => e);
    const absent = await findOrNotFound(mallory, apiKey, "read", find("nobody")).catch((e) => e);
    for (const error of [hidden, absent]) {
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error.message).toBe(apiKey.notFoundMessage);
    }
    // One check each: the real id, then a placeholder of the same kind for the absent row.
    expect(asked).toEqual(["k-alice", PLACEHOLDER_ID]);
  });

  it("under unless-readable: a found row readable but not deletable is 403, an absent one 404", async () => {
    const { port, asked, find } = world();
    const bob = createAuthorizer({ port, timing: false }).forSubject(user("bob"));
    // bob reads his key but may not delete it (no update on the agent).
    await expect(findOrNotFound(bob, apiKey, "delete", find("bob-laptop"))).rejects.toBeInstanceOf(
      AuthorizationError,
    );
    asked.length = 0;
    await expect(findOrNotFound(bob, apiKey, "delete", find("nobody"))).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(asked).toEqual([PLACEHOLDER_ID, PLACEHOLDER_ID]); // delete and read, in one call
    await expect(
      findOrNotFound(bob, apiKey, "delete", find("bob-laptop"), { collapse: "always" }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("a row whose id the kind rejects is the same 404 without a call; options id and message", async () => {
    const { port, asked, find } = world();
    const alice = createAuthorizer({ port, timing: false }).forSubject(user("alice"));
    await expect(findOrNotFound(alice, apiKey, "read", find("broken"))).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(asked).toEqual([]);
    const row = { key: "k-alice" };
    expect(await findOrNotFound(alice, apiKey, "read", () => row, { id: (r) => r.key })).toBe(row);
    await expect(
      findOrNotFound(alice, apiKey, "read", () => null, { message: "No such key." }),
    ).rejects.toThrow("No such key.");
  });

  it("an outage is a 503 whether or not the row exists; a failing lookup propagates", async () => {
    const broken = withOverrides(db.port, {
      check: async () => {
        throw new AuthorizationUnavailableError();
      },
    });
    const alice = createAuthorizer({ port: broken, retry: false }).forSubject(user("alice"));
    const { find } = world();
    for (const name of ["alice-ci", "nobody"]) {
      await expect(findOrNotFound(alice, apiKey, "read", find(name))).rejects.toBeInstanceOf(
        AuthorizationUnavailableError,
      );
    }
    const failing = async () => {
      throw new Error("db down");
    };
    await expect(findOrNotFound(alice, apiKey, "read", failing)).rejects.toThrow("db down");
  });
});
