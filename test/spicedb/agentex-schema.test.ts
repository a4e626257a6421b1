// The agentex schema on the embedded SpiceDB: two-factor key mutations, the tenant gate, no
// access across tenants; and that it is the shipped schema/agentex.zed.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agent, apiKey, user } from "../../src/index.js";
import { agentexSchema, type EmbeddedSpiceDB } from "../../src/spicedb/index.js";
import { startAgentex } from "../support/agentex-world.js";
import { uid } from "../support/port-contract.js";

describe("agentex schema on the embedded SpiceDB", () => {
  let db: EmbeddedSpiceDB;
  beforeAll(async () => {
    db = await startAgentex();
  });
  afterAll(() => db.close());

  const check = (who: string, resource: { type: string; id: string }, permission: string) =>
    db.port.check({ subject: user(who), resource, permission });

  it("two-factor delete: the key's owner without update on the parent agent is denied", async () => {
    expect(await check("bob", apiKey("k-bob"), "read")).toBe(true);
    expect(await check("bob", apiKey("k-bob"), "delete")).toBe(false);
    expect(await check("bob", apiKey("k-bob"), "update")).toBe(false);
    expect(await check("alice", apiKey("k-alice"), "delete")).toBe(true);
  });

  it("the agent owner is not the key owner: no access to someone else's key", async () => {
    expect(await check("alice", apiKey("k-bob"), "read")).toBe(false);
    expect(await check("alice", apiKey("k-bob"), "delete")).toBe(false);
  });

  it("cross-tenant: nothing of another tenant is visible", async () => {
    for (const p of ["read", "update", "delete"]) {
      expect(await check("mallory", apiKey("k-alice"), p)).toBe(false);
      expect(await check("mallory", agent("a1"), p)).toBe(false);
      expect(await check("alice", apiKey("k-mallory"), p)).toBe(false);
    }
  });

  it("tenant gate: an owner edge alone is not enough outside the tenant", async () => {
    const outsider = uid("x");
    await db.port.grant({ subject: user(outsider), resource: agent("a1") });
    expect(await check(outsider, agent("a1"), "read")).toBe(false);
    await db.port.revoke({ subject: user(outsider), resource: agent("a1") });
  });

  it("lookup returns exactly the readable api keys", async () => {
    expect(
      await db.port.lookup({ subject: user("alice"), resourceType: "api_key", permission: "read" }),
    ).toEqual(["k-alice"]);
    expect(
      await db.port.lookup({ subject: user("bob"), resourceType: "api_key", permission: "read" }),
    ).toEqual(["k-bob"]);
    expect(
      await db.port.lookup({ subject: user("bob"), resourceType: "api_key", permission: "delete" }),
    ).toEqual([]);
    expect(
      await db.port.lookup({ subject: user("carol"), resourceType: "api_key", permission: "read" }),
    ).toEqual([]);
  });

  it("agentexSchema is the shipped schema/agentex.zed", () => {
    expect(agentexSchema).toBe(
      readFileSync(new URL("../../schema/agentex.zed", import.meta.url), "utf8"),
    );
  });
});
