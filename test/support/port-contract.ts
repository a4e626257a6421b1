import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AuthorizationPort,
  AuthorizationUnavailableError,
  agent,
  apiKey,
  ConfigurationError,
  ConflictError,
  createAuthorizer,
  type Registration,
  type Resource,
  tenant,
  user,
} from "../../src/index.js";

/** What a backend under the contract provides. */
export interface ContractHarness {
  port: AuthorizationPort;
  /** Makes `userId` a member of `tenantId` (a no-op where the backend has no tenant gate). */
  addMember(userId: string, tenantId: string): Promise<void>;
  /** Makes every following call fail at the backend. */
  breakBackend(): Promise<void>;
  /** A parent the backend rejects for an api key (a schema backend); absent: test skipped. */
  rejectedParent?: Resource;
  /** False for a backend that cannot scope a lookup by parent (it must refuse, not widen). */
  scopedLookup?: boolean;
  /**
   * A second port of the same backend whose `ownerRelation` is `relation`, over a `doc` type with
   * `owner` and `relation` relations both granting `read`; absent: that case is skipped.
   */
  ownerRelationPort?(
    relation: string,
  ): Promise<{ port: AuthorizationPort; close(): Promise<void> }>;
  close(): Promise<void>;
}

let counter = 0;
/** Unique ids per test so cases never see each other's data. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The port contract: what every AuthorizationPort must do, whatever the backend.
 * `setup` runs once per suite; the backend-breaking test runs last.
 */
export function describePortContract(name: string, setup: () => Promise<ContractHarness>): void {
  describe(`port contract: ${name}`, () => {
    let h: ContractHarness;
    let port: AuthorizationPort;
    const t = tenant("acme");

    beforeAll(async () => {
      h = await setup();
      port = h.port;
    });
    afterAll(async () => {
      await h?.close();
    });

    async function member(): Promise<ReturnType<typeof user>> {
      const u = user(uid("u"));
      await h.addMember(u.id, t.id);
      return u;
    }

    const can = (
      subject: ReturnType<typeof user>,
      resource: { type: string; id: string },
      permission: string,
    ) => port.check({ subject, resource, permission });

    it("denies by default", async () => {
      const u = await member();
      expect(await can(u, agent(uid("a")), "read")).toBe(false);
    });

    it("register gives the owner access and nobody else", async () => {
      const [owner, other] = [await member(), await member()];
      const a = agent(uid("a"));
      const result = await port.register({ subject: owner, resource: a, parent: t });
      expect(result).toBeTypeOf("object");
      expect(await can(owner, a, "read")).toBe(true);
      expect(await can(owner, a, "update")).toBe(true);
      expect(await can(other, a, "read")).toBe(false);
    });

    it("register is idempotent for the same owner and parent", async () => {
      const owner = await member();
      const a = agent(uid("a"));
      await port.register({ subject: owner, resource: a, parent: t });
      await expect(port.register({ subject: owner, resource: a, parent: t })).resolves.toBeTypeOf(
        "object",
      );
      expect(await can(owner, a, "read")).toBe(true);
    });

    it("register stays idempotent for an owner after more owners were granted", async () => {
      const [owner, coOwner] = [await member(), await member()];
      const a = agent(uid("a"));
      await port.register({ subject: owner, resource: a, parent: t });
      await port.grant({ subject: coOwner, resource: a });
      await expect(port.register({ subject: owner, resource: a, parent: t })).resolves.toBeTypeOf(
        "object",
      );
      await expect(port.register({ subject: coOwner, resource: a, parent: t })).resolves.toBeTypeOf(
        "object",
      );
    });

    it("register under another owner throws ConflictError and changes nothing", async () => {
      const [owner, intruder] = [await member(), await member()];
      const a = agent(uid("a"));
      await port.register({ subject: owner, resource: a, parent: t });
      await expect(
        port.register({ subject: intruder, resource: a, parent: t }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(await can(intruder, a, "read")).toBe(false);
      expect(await can(owner, a, "read")).toBe(true);
    });

    it("register under another parent throws ConflictError and changes nothing", async () => {
      const owner = await member();
      const [a1, a2] = [agent(uid("a")), agent(uid("a"))];
      await port.register({ subject: owner, resource: a1, parent: t });
      await port.register({ subject: owner, resource: a2, parent: t });
      const k = apiKey(uid("k"));
      await port.register({ subject: owner, resource: k, parent: a1 });
      await expect(
        port.register({ subject: owner, resource: k, parent: a2 }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(await can(owner, k, "read")).toBe(true);
      // Still under a1: deregistering a1's edges would cut the key's parent read on a schema backend.
      await expect(port.register({ subject: owner, resource: k, parent: a1 })).resolves.toBeTypeOf(
        "object",
      );
    });

    it("register is atomic: when the backend rejects the parent edge, no owner edge is left", async (ctx) => {
      if (!h.rejectedParent) ctx.skip();
      const [owner, other] = [await member(), await member()];
      const a = agent(uid("a"));
      await port.register({ subject: owner, resource: a, parent: t });
      await port.grant({ subject: other, resource: a });
      const k = apiKey(uid("k"));
      await expect(
        port.register({ subject: owner, resource: k, parent: h.rejectedParent! }),
      ).rejects.toBeInstanceOf(Error);
      expect(await can(owner, k, "read")).toBe(false);
      // No owner edge was written: someone else can still register the key cleanly.
      await expect(port.register({ subject: other, resource: k, parent: a })).resolves.toBeTypeOf(
        "object",
      );
      expect(await can(other, k, "read")).toBe(true);
      expect(await can(owner, k, "read")).toBe(false);
    });

    it("deregister removes every edge of the object", async () => {
      const [owner, next] = [await member(), await member()];
      const a = agent(uid("a"));
      await port.register({ subject: owner, resource: a, parent: t });
      const k = apiKey(uid("k"));
      await port.register({ subject: owner, resource: k, parent: a });
      await port.grant({ subject: next, resource: k, relation: "owner" });
      await port.deregister({ resource: k });
      expect(await can(owner, k, "read")).toBe(false);
      expect(await can(next, k, "read")).toBe(false);
      expect(
        await port.lookup({ subject: owner, resourceType: "api_key", permission: "read" }),
      ).not.toContain(k.id);
      // No owner and no parent edge is left: a fresh registration by someone else succeeds.
      await port.grant({ subject: next, resource: a, relation: "owner" });
      await expect(port.register({ subject: next, resource: k, parent: a })).resolves.toBeTypeOf(
        "object",
      );
      expect(await can(next, k, "read")).toBe(true);
    });

    it("deregister of an unknown object succeeds", async () => {
      await expect(port.deregister({ resource: apiKey(uid("k")) })).resolves.toBeTypeOf("object");
    });

    it("grant and revoke add and remove one edge", async () => {
      const [owner, guest] = [await member(), await member()];
      const a = agent(uid("a"));
      await port.register({ subject: owner, resource: a, parent: t });
      await port.grant({ subject: guest, resource: a });
      expect(await can(guest, a, "read")).toBe(true);
      await port.grant({ subject: guest, resource: a }); // idempotent
      await port.revoke({ subject: guest, resource: a });
      expect(await can(guest, a, "read")).toBe(false);
      expect(await can(owner, a, "read")).toBe(true);
      await expect(port.revoke({ subject: guest, resource: a })).resolves.toBeTypeOf("object");
    });

    it("grant and revoke without a relation use the port's owner relation", async (ctx) => {
      if (!h.ownerRelationPort) ctx.skip();
      const { port: admins, close } = await h.ownerRelationPort!("admin");
      try {
        const [u, d] = [user(uid("u")), { type: "doc", id: uid("d") }];
        const authz = createAuthorizer({ port: admins }).forSubject(u);
        const read = () => admins.check({ subject: u, resource: d, permission: "read" });
        await authz.grant(d);
        expect(await read()).toBe(true);
        // The edge written is admin: removing an owner edge leaves the access, removing admin ends it.
        await admins.revoke({ subject: u, resource: d, relation: "owner" });
        expect(await read()).toBe(true);
        await admins.revoke({ subject: u, resource: d, relation: "admin" });
        expect(await read()).toBe(false);
        // And revoke without a relation removes that same edge.
        await authz.grant(d);
        await authz.revoke(d);
        expect(await read()).toBe(false);
        await authz.register(d);
        await admins.revoke({ subject: u, resource: d, relation: "owner" });
        expect(await read()).toBe(true);
      } finally {
        await close();
      }
    });

    it("checkMany answers in request order", async () => {
      const [owner, other] = [await member(), await member()];
      const a = agent(uid("a"));
      await port.register({ subject: owner, resource: a, parent: t });
      const b = agent(uid("b"));
      const answers = await port.checkMany([
        { subject: other, resource: a, permission: "read" },
        { subject: owner, resource: a, permission: "read" },
        { subject: owner, resource: b, permission: "read" },
        { subject: owner, resource: a, permission: "update" },
      ]);
      expect(answers).toEqual([false, true, false, true]);
      expect(await port.checkMany([])).toEqual([]);
    });

    it("checkMany handles more items than one backend batch", async () => {
      const owner = await member();
      const a = agent(uid("a"));
      await port.register({ subject: owner, resource: a, parent: t });
      const reqs = Array.from({ length: 1203 }, (_, i) => ({
        subject: owner,
        resource: i % 3 === 0 ? a : agent(`${a.id}-x${i}`),
        permission: "read",
      }));
      const answers = await port.checkMany(reqs);
      expect(answers).toHaveLength(1203);
      expect(answers).toEqual(reqs.map((_, i) => i % 3 === 0));
    });

    it("lookup returns exactly the readable ids, without duplicates", async () => {
      const [owner, other] = [await member(), await member()];
      const mine = [agent(uid("a")), agent(uid("a")), agent(uid("a"))];
      for (const a of mine) await port.register({ subject: owner, resource: a, parent: t });
      const theirs = agent(uid("a"));
      await port.register({ subject: other, resource: theirs, parent: t });
      await port.grant({ subject: owner, resource: mine[0]!, relation: "owner" }); // duplicate edge
      const ids = await port.lookup({ subject: owner, resourceType: "agent", permission: "read" });
      expect([...(ids ?? [])].sort()).toEqual(mine.map((a) => a.id).sort());
      expect(
        await port.lookup({ subject: await member(), resourceType: "agent", permission: "read" }),
      ).toEqual([]);
    });

    it("lookup under a parent returns exactly the readable children of that parent", async () => {
      const [owner, other] = [await member(), await member()];
      const [a1, a2] = [agent(uid("a")), agent(uid("a"))];
      await port.register({ subject: owner, resource: a1, parent: t });
      await port.register({ subject: owner, resource: a2, parent: t });
      const mine = [apiKey(uid("k")), apiKey(uid("k"))];
      for (const k of mine) await port.register({ subject: owner, resource: k, parent: a1 });
      const elsewhere = apiKey(uid("k")); // readable, but under the other agent
      await port.register({ subject: owner, resource: elsewhere, parent: a2 });
      const theirs = apiKey(uid("k")); // under a1, but a co-owner's
      await port.grant({ subject: other, resource: a1 });
      await port.register({ subject: other, resource: theirs, parent: a1 });
      const under = (subject: typeof owner, parent: Resource, permission = "read") =>
        port.lookup({ subject, resourceType: "api_key", permission, parent });
      if (h.scopedLookup === false) {
        await expect(under(owner, a1)).rejects.toBeInstanceOf(ConfigurationError);
        return;
      }
      expect([...((await under(owner, a1)) ?? [])].sort()).toEqual(mine.map((k) => k.id).sort());
      expect(await under(owner, a2)).toEqual([elsewhere.id]);
      expect(await under(other, a1)).toEqual([theirs.id]);
      expect(await under(owner, agent(uid("a")))).toEqual([]); // a parent with no children
      await port.deregister({ resource: mine[0]! });
      expect(await under(owner, a1)).toEqual([mine[1]!.id]);
    });

    it("cross-tenant: a stranger cannot read, update or find another tenant's resource", async () => {
      const owner = await member();
      const stranger = user(uid("m"));
      await h.addMember(stranger.id, "globex");
      const a = agent(uid("a"));
      await port.register({ subject: owner, resource: a, parent: t });
      expect(await can(stranger, a, "read")).toBe(false);
      expect(await can(stranger, a, "update")).toBe(false);
      expect(
        await port.lookup({ subject: stranger, resourceType: "agent", permission: "read" }),
      ).toEqual([]);
    });

    /** Every registration of `type`, page by page (`limit` each), and the pages' sizes. */
    async function allRegistrations(type: string, limit: number) {
      const list = port.registrations?.bind(port);
      if (!list) throw new Error("the port has no registrations");
      const items: Registration[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await list({ resourceType: type, limit, ...(cursor ? { cursor } : {}) });
        sizes.push(page.items.length);
        items.push(...page.items);
        cursor = page.cursor;
      } while (cursor !== undefined);
      return { items, sizes };
    }

    const byKey = <T extends { type: string; id: string }>(xs: readonly T[]) =>
      [...xs].sort((a, b) => `${a.type}:${a.id}`.localeCompare(`${b.type}:${b.id}`));

    it("registrations: every object once, in byte order, whole, with owners and parents", async (ctx) => {
      if (!port.registrations) ctx.skip();
      const [owner, coOwner, viewer] = [await member(), await member(), await member()];
      const a = agent(uid("a"));
      await port.register({ subject: owner, resource: a, parent: t });
      // Ids that sort differently by bytes and by locale: upper case before lower, "-" before "_".
      const base = uid("k");
      const keys = ["B", "a", "a-1", "a_1", "Z"].map((s) => apiKey(`${base}${s}`));
      for (const k of keys) await port.register({ subject: owner, resource: k, parent: a });
      const [first] = keys as [Resource];
      await port.grant({ subject: coOwner, resource: first });
      await port.grant({ subject: viewer, resource: first, relation: "viewer" });

      const { items, sizes } = await allRegistrations("api_key", 2);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(2);
      const ids = items.map((r) => r.id);
      expect(ids).toEqual([...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
      expect(new Set(ids).size).toBe(ids.length); // no object split across pages
      const mine = items.filter((r) => r.id.startsWith(base));
      expect(mine.map((r) => r.id)).toEqual(keys.map((k) => k.id).sort());
      for (const r of mine) expect(r.parents).toEqual([{ type: "agent", id: a.id }]);
      const firstOne = mine.find((r) => r.id === first.id);
      expect(byKey(firstOne?.owners ?? [])).toEqual(byKey([owner, coOwner]));
      const agents = await allRegistrations("agent", 50);
      expect(agents.items.find((r) => r.id === a.id)).toEqual({
        id: a.id,
        owners: [owner],
        parents: [{ type: "tenant", id: t.id }],
      });
    });

    it("registrations: a deregistered object is gone; one with other edges only is listed", async (ctx) => {
      if (!port.registrations) ctx.skip();
      const owner = await member();
      const a = agent(uid("a"));
      await port.register({ subject: owner, resource: a, parent: t });
      const [gone, shared] = [apiKey(uid("k")), apiKey(uid("k"))];
      await port.register({ subject: owner, resource: gone, parent: a });
      await port.deregister({ resource: gone });
      await port.grant({ subject: owner, resource: shared, relation: "viewer" });
      const { items } = await allRegistrations("api_key", 1000);
      expect(items.find((r) => r.id === gone.id)).toBeUndefined();
      expect(items.find((r) => r.id === shared.id)).toEqual({
        id: shared.id,
        owners: [],
        parents: [],
      });
      const none = await port.registrations?.({ resourceType: "task", limit: 10 });
      expect(none).toEqual({ items: [] });
    });

    it("fails closed when the backend fails: never true, always AuthorizationUnavailableError", async () => {
      const owner = await member();
      const a = agent(uid("a"));
      await port.register({ subject: owner, resource: a, parent: t });
      await h.breakBackend();
      const req = { subject: owner, resource: a, permission: "read" };
      await expect(port.check(req)).rejects.toBeInstanceOf(AuthorizationUnavailableError);
      await expect(port.checkMany([req])).rejects.toBeInstanceOf(AuthorizationUnavailableError);
      await expect(
        port.lookup({ subject: owner, resourceType: "agent", permission: "read" }),
      ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
      await expect(
        port.register({ subject: owner, resource: agent(uid("a")), parent: t }),
      ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
      await expect(port.deregister({ resource: a })).rejects.toBeInstanceOf(
        AuthorizationUnavailableError,
      );
      await expect(port.grant({ subject: owner, resource: a })).rejects.toBeInstanceOf(
        AuthorizationUnavailableError,
      );
      await expect(port.revoke({ subject: owner, resource: a })).rejects.toBeInstanceOf(
        AuthorizationUnavailableError,
      );
      if (port.registrations) {
        await expect(
          port.registrations({ resourceType: "agent", limit: 10 }),
        ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
      }
    });
  });
}

/**
 * The real port with some operations replaced (to inject a failure or a malformed answer); the
 * others get the call's options (its abort signal) too.
 */
export function withOverrides(
  port: AuthorizationPort,
  overrides: Partial<AuthorizationPort>,
): AuthorizationPort {
  return {
    check: (r, o) => port.check(r, o),
    checkMany: (r, o) => port.checkMany(r, o),
    lookup: (r, o) => port.lookup(r, o),
    grant: (r, o) => port.grant(r, o),
    revoke: (r, o) => port.revoke(r, o),
    register: (r, o) => port.register(r, o),
    deregister: (r, o) => port.deregister(r, o),
    ...(port.registrations
      ? {
          registrations: (r, o) =>
            (port.registrations as NonNullable<typeof port.registrations>)(r, o),
        }
      : {}),
    ...overrides,
  };
}
