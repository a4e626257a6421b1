// spicedbPort on the embedded SpiceDB: atomic, idempotent registration, configuration errors
// for schema mismatches and invalid options, and failing closed on answers to other questions.
import type { v1 } from "@authzed/authzed-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthorizationUnavailableError,
  agent,
  apiKey,
  ConfigurationError,
  tenant,
  user,
} from "../../src/index.js";
import { type EmbeddedSpiceDB, spicedbPort } from "../../src/spicedb/index.js";
import { edgesOf, startAgentex } from "../support/agentex-world.js";
import { uid } from "../support/port-contract.js";
import { countingCalls, FRESH_READS, withPromises } from "../support/spicedb-clients.js";

describe("spicedbPort on the embedded SpiceDB", () => {
  let db: EmbeddedSpiceDB;
  beforeAll(async () => {
    db = await startAgentex();
  });
  afterAll(() => db.close());

  it("register is atomic: a rejected parent edge leaves no owner edge", async () => {
    const k = apiKey(uid("k"));
    // parent_agent only takes agents: the whole write is rejected.
    await expect(
      db.port.register({ subject: user("alice"), resource: k, parent: tenant("acme") }),
    ).rejects.toBeInstanceOf(ConfigurationError);
    expect(await edgesOf(db, "agent_api_key", k.id)).toEqual([]);
    // Nothing was left behind: registering properly works.
    await expect(
      db.port.register({ subject: user("alice"), resource: k, parent: agent("a1") }),
    ).resolves.toHaveProperty("token");
    expect(await db.port.check({ subject: user("alice"), resource: k, permission: "delete" })).toBe(
      true,
    );
  });

  it("register writes both edges in one call and returns the ZedToken", async () => {
    const k = apiKey(uid("k"));
    const result = await db.port.register({
      subject: user("alice"),
      resource: k,
      parent: agent("a1"),
    });
    expect(result.token).toMatch(/\S{8,}/);
    expect(await edgesOf(db, "agent_api_key", k.id)).toEqual([
      "owner@user:alice",
      "parent_agent@agent:a1",
    ]);
  });

  it("register without a configured parent relation is a configuration error", async () => {
    const port = spicedbPort({ client: db.client });
    await expect(
      port.register({ subject: user("alice"), resource: apiKey(uid("k")), parent: agent("a1") }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });

  it("an unknown type or permission is a ConfigurationError, not a denial", async () => {
    await expect(
      db.port.check({
        subject: user("alice"),
        resource: { type: "nope", id: "x" },
        permission: "read",
      }),
    ).rejects.toBeInstanceOf(ConfigurationError);
    await expect(
      db.port.check({ subject: user("alice"), resource: agent("a1"), permission: "fly" }),
    ).rejects.toBeInstanceOf(ConfigurationError);
    await expect(
      db.port.lookup({ subject: user("alice"), resourceType: "nope", permission: "read" }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });

  it("without the type map, api_key is unknown to the schema", async () => {
    const port = spicedbPort({ client: db.client });
    await expect(
      port.check({ subject: user("alice"), resource: apiKey("k-alice"), permission: "read" }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });

  it("fails closed when SpiceDB's answers do not match the questions", async () => {
    // The real embedded client, with its answers tampered with on the way back.
    const tampered = (
      bulk: (pairs: v1.CheckBulkPermissionsPair[]) => v1.CheckBulkPermissionsPair[],
      permissionship?: number,
    ) =>
      spicedbPort(
        {
          client: withPromises(db.client, {
            checkPermission: async (r) => ({
              ...(await db.client.promises.checkPermission(r)),
              ...(permissionship === undefined ? {} : { permissionship }),
            }),
            checkBulkPermissions: async (r) => {
              const answer = await db.client.promises.checkBulkPermissions(r);
              return { ...answer, pairs: bulk(answer.pairs) };
            },
          }),
        },
        FRESH_READS,
      );
    const reqs = [
      { subject: user("alice"), resource: apiKey("k-alice"), permission: "read" },
      { subject: user("alice"), resource: apiKey("k-mallory"), permission: "read" },
    ];
    for (const bulk of [
      (pairs: v1.CheckBulkPermissionsPair[]) => [...pairs].reverse(), // out of order
      (pairs: v1.CheckBulkPermissionsPair[]) => pairs.slice(1), // one missing
      (pairs: v1.CheckBulkPermissionsPair[]) => [...pairs, ...pairs], // too many
    ]) {
      await expect(tampered(bulk).checkMany(reqs)).rejects.toBeInstanceOf(
        AuthorizationUnavailableError,
      );
    }
    // PERMISSIONSHIP_UNSPECIFIED is not an answer.
    await expect(tampered((p) => p, 0).check(reqs[0]!)).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
    expect(await tampered((p) => p).checkMany(reqs)).toEqual([true, false]);
  });

  it("on a client passed in, an aborted signal means no call is made", async () => {
    const { client, calls } = countingCalls(db.client);
    const port = spicedbPort({ client }, FRESH_READS);
    const o = { signal: AbortSignal.abort() };
    const subject = user("alice");
    const read = { subject, resource: apiKey("k-alice"), permission: "read" };
    const operations: Array<[string, () => Promise<unknown>]> = [
      ["check", () => port.check(read, o)],
      ["checkMany", () => port.checkMany([read, read], o)],
      ["lookup", () => port.lookup({ subject, resourceType: "api_key", permission: "read" }, o)],
      [
        "lookup under a parent",
        () =>
          port.lookup(
            { subject, resourceType: "api_key", permission: "read", parent: agent("a1") },
            o,
          ),
      ],
      ["grant", () => port.grant({ subject, resource: agent("a1") }, o)],
      ["revoke", () => port.revoke({ subject, resource: agent("a1") }, o)],
      [
        "register",
        () => port.register({ subject, resource: apiKey(uid("k")), parent: agent("a1") }, o),
      ],
      ["deregister", () => port.deregister({ resource: apiKey("k-alice") }, o)],
    ];
    for (const [name, operation] of operations) {
      const error = await operation().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(`${name}: ${error?.name}`).toBe(`${name}: AuthorizationUnavailableError`);
    }
    expect(calls).toEqual({});
    expect(await port.check(read)).toBe(true); // nothing was changed
  });

  it("invalid options throw when the port is created", () => {
    expect(() => spicedbPort({ client: db.client }, { types: { api_key: "Bad Name" } })).toThrow(
      ConfigurationError,
    );
    expect(() => spicedbPort({} as never)).toThrow(ConfigurationError);
    const bads = [{ maxParentChildren: 0 }, { maxParentChildren: 1000 }, { maxLookupIds: 1.5 }];
    for (const bad of bads) {
      expect(() => spicedbPort({ client: db.client }, bad)).toThrow(/spicedbPort: "max/);
    }
  });
});
