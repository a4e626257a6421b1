// lookup on the embedded SpiceDB: under a parent it follows the configured parent relation,
// fails closed on edges it did not ask for, and agrees with LookupResources in random worlds;
// on a large store it stops when abandoned and bounds what it reads and holds.
import type { v1 } from "@authzed/authzed-node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AuthorizationPort,
  AuthorizationUnavailableError,
  agent,
  apiKey,
  ConfigurationError,
  createAuthorizer,
  type Resource,
  tenant,
  user,
} from "../../src/index.js";
import {
  agentexPortOptions,
  agentexSchema,
  type EmbeddedSpiceDB,
  spicedbPort,
  startEmbeddedSpiceDB,
} from "../../src/spicedb/index.js";
import { startAgentex } from "../support/agentex-world.js";
import { uid } from "../support/port-contract.js";
import {
  FRESH_READS,
  observedLookups,
  recordingReads,
  withPromises,
} from "../support/spicedb-clients.js";

describe("lookup under a parent on the agentex world", () => {
  let db: EmbeddedSpiceDB;
  beforeAll(async () => {
    db = await startAgentex();
  });
  afterAll(() => db.close());

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
});

/** Agents in two tenants and api keys under them, owned and viewed by three users (indexes). */
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
type World = typeof arbitraryWorld extends fc.Arbitrary<infer W> ? W : never;

/** A written world: its users, its agents, and the keys under each agent id. */
interface Seeded {
  users: Resource[];
  agentRefs: Resource[];
  under: Map<string, string[]>;
}

/** Writes `world` through `port`, under names of its own. */
async function seed(port: AuthorizationPort, { agents, keys }: World): Promise<Seeded> {
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
  return { users, agentRefs, under };
}

/**
 * Expects every lookup under an agent to equal LookupResources ∩ that agent's keys.
 *
 * @returns how many of those lookups found something
 */
async function expectScopedLookupsAgree(
  port: AuthorizationPort,
  { users, agentRefs, under }: Seeded,
): Promise<number> {
  let nonEmpty = 0;
  for (const subject of users) {
    for (const permission of ["read", "delete"]) {
      const all = await port.lookup({ subject, resourceType: "api_key", permission });
      for (const parent of agentRefs) {
        const scoped = await port.lookup({ subject, resourceType: "api_key", permission, parent });
        const children = new Set(under.get(parent.id) ?? []);
        if ((scoped ?? []).length > 0) nonEmpty += 1;
        expect([...(scoped ?? [])].sort()).toEqual(
          (all ?? []).filter((id) => children.has(id)).sort(),
        );
      }
    }
  }
  return nonEmpty;
}

describe("lookup under a parent agrees with LookupResources", () => {
  let world: EmbeddedSpiceDB;
  beforeAll(async () => {
    world = await startEmbeddedSpiceDB({ schema: agentexSchema });
  });
  afterAll(() => world?.close());

  it("for random worlds: scoped = LookupResources ∩ that agent's keys, under any children cap", async () => {
    let nonEmpty = 0;
    // One child read at most: any agent with two keys or more takes the capped path.
    const { client, reads } = recordingReads(world.client);
    const capped = spicedbPort(
      { client },
      { ...agentexPortOptions, maxParentChildren: 1, consistency: { kind: "fullyConsistent" } },
    );
    await fc.assert(
      fc.asyncProperty(arbitraryWorld, async (w) => {
        const seeded = await seed(world.port, w);
        nonEmpty += await expectScopedLookupsAgree(world.port, seeded);
        await expectScopedLookupsAgree(capped, seeded);
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
    expect(reads.every((r) => r.limit === 2 && r.rows <= 2)).toBe(true);
    expect(reads.some((r) => r.rows === 2)).toBe(true); // the capped path ran
  });
});

/** Folders of docs: a doc is readable by its viewers who can also read its folder. */
const DOCS_SCHEMA = `definition user {}

definition folder {
    relation viewer: user
    permission read = viewer
}

definition doc {
    relation parent: folder
    relation viewer: user
    permission read = viewer & parent->read
}
`;
const LARGE = 5000;

describe("lookup on a large store", () => {
  // u reads LARGE docs d* in folder f and ten e* in folder g; f also holds ten h* u cannot read.
  let big: EmbeddedSpiceDB;
  beforeAll(async () => {
    const edges = ["folder:f#viewer@user:u", "folder:g#viewer@user:u"];
    for (let i = 0; i < LARGE; i += 1)
      edges.push(`doc:d${i}#viewer@user:u`, `doc:d${i}#parent@folder:f`);
    for (let i = 0; i < 10; i += 1) {
      edges.push(
        `doc:e${i}#viewer@user:u`,
        `doc:e${i}#parent@folder:g`,
        `doc:h${i}#parent@folder:f`,
      );
    }
    big = await startEmbeddedSpiceDB({ schema: DOCS_SCHEMA, relationships: edges });
  }, 60_000);
  afterAll(() => big?.close());

  const all = { subject: user("u"), resourceType: "doc", permission: "read" } as const;
  const fresh = { consistency: { kind: "fullyConsistent" } } as const;

  it("an abandoned lookup stops: its stream is cancelled, not read to the end", async () => {
    const { client, streams } = observedLookups(big.client);
    const port = spicedbPort({ client }, fresh);
    const controller = new AbortController();
    const lookup = port.lookup(all, { signal: controller.signal });
    lookup.catch(() => {}); // observed below, after the abort
    await streams[0]?.firstData; // the stream is flowing: LARGE answers are on their way
    controller.abort();
    await expect(lookup).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(await streams[0]?.status).toBe(1); // CANCELLED: the port cancelled it
    expect(streams[0]?.received).toBeLessThan(LARGE);
  });

  it("the authorizer's deadline cancels the lookup it gave up on", async () => {
    const { client, streams } = observedLookups(big.client);
    const authz = createAuthorizer({ port: spicedbPort({ client }, fresh), timeoutMs: 100 });
    await expect(authz.forSubject(user("u")).authorizedIds("doc")).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
    expect(streams).toHaveLength(1);
    expect(await streams[0]?.status).toBe(1);
    expect(streams[0]?.received).toBeLessThan(LARGE);
  });

  it("a lookup past maxLookupIds is refused and its stream cancelled", async () => {
    const { client, streams } = observedLookups(big.client);
    const port = spicedbPort({ client }, { ...fresh, maxLookupIds: 100 });
    const error = await port.lookup(all).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/maxLookupIds.*scope it by parent or page it/);
    expect(await streams[0]?.status).toBe(1);
    expect(streams[0]?.received).toBeLessThan(LARGE);
  });

  it("past maxParentChildren, a subject reaching more than maxLookupIds is refused, bounded", async () => {
    const { client, streams } = observedLookups(big.client);
    const port = spicedbPort(
      { client },
      { ...fresh, parentRelations: { doc: "parent" }, maxParentChildren: 10, maxLookupIds: 100 },
    );
    const error = await port
      .lookup({ ...all, parent: { type: "folder", id: "f" } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/maxParentChildren.*maxLookupIds/);
    expect(await streams[0]?.status).toBe(1);
  });

  it("a parent with more children than maxParentChildren: at most cap + 1 read, same answer", async () => {
    const { client, reads } = recordingReads(big.client);
    const port = spicedbPort({ client }, { ...fresh, parentRelations: { doc: "parent" } });
    const scoped = await port.lookup({ ...all, parent: { type: "folder", id: "f" } });
    // The default cap is 999: one read of 1000 rows, the most SpiceDB answers at once.
    expect(reads).toEqual([{ limit: 1000, rows: 1000 }]);
    const everything = (await port.lookup(all)) ?? [];
    expect(everything).toHaveLength(LARGE + 10);
    expect(new Set(scoped)).toEqual(new Set(everything.filter((id) => id.startsWith("d"))));
    const inG = await port.lookup({ ...all, parent: { type: "folder", id: "g" } });
    expect([...(inG ?? [])].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`).sort());
  }, 30_000);
});
