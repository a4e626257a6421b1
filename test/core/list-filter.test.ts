import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { apiKey, createAuthorizer, user, withAuthorizedIds } from "../../src/index.js";
import type { EmbeddedSpiceDB } from "../../src/spicedb/index.js";
import { startAgentex } from "../support/agentex-world.js";

let db: EmbeddedSpiceDB;
beforeAll(async () => {
  db = await startAgentex();
});
afterAll(() => db.close());

describe("withAuthorizedIds", () => {
  it("null runs the query unfiltered", async () => {
    const query = vi.fn(async (ids?: readonly string[]) => (ids ? ids : ["all"]));
    expect(await withAuthorizedIds(null, query)).toEqual(["all"]);
    expect(query).toHaveBeenCalledWith(undefined);
  });

  it("[] short-circuits to the empty result without calling the query", async () => {
    const query = vi.fn(async () => ["everything"]);
    expect(await withAuthorizedIds([], query)).toEqual([]);
    expect(await withAuthorizedIds([], query, { items: [], total: 0 })).toEqual({
      items: [],
      total: 0,
    });
    expect(query).not.toHaveBeenCalled();
  });

  it("passes the ids into the query", async () => {
    const query = vi.fn(async (ids?: readonly string[]) => ids?.map((id) => ({ id })) ?? []);
    expect(await withAuthorizedIds(["a", "b"], query)).toEqual([{ id: "a" }, { id: "b" }]);
  });

  it("works end to end with authorizedIds from SpiceDB", async () => {
    const rows = [{ id: "k-alice" }, { id: "k-bob" }, { id: "k-mallory" }];
    const list = async (who: string) => {
      const ids = await createAuthorizer({ port: db.port })
        .forSubject(user(who))
        .authorizedIds(apiKey);
      return withAuthorizedIds(ids, (ids) => rows.filter((r) => !ids || ids.includes(r.id)));
    };
    expect(await list("alice")).toEqual([{ id: "k-alice" }]);
    expect(await list("carol")).toEqual([]);
  });
});
