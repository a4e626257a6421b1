// authz.page: paging to the end returns exactly the readable rows in key order, each once, over
// random worlds and layouts; the switch between checking candidates and looking up ids.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cursorSeal } from "../../src/core/cursor.js";
import {
  AuthorizationUnavailableError,
  apiKey,
  type CandidateFilter,
  ConfigurationError,
  createAuthorizer,
  InvalidIdentifierError,
  type Page,
  type PageOptions,
  type RequestAuthorizer,
  user,
} from "../../src/index.js";
import {
  agentexSchema,
  type EmbeddedSpiceDB,
  startEmbeddedSpiceDB,
} from "../../src/spicedb/index.js";
import { type MemoryPort, memoryPort, recordingLogger } from "../../src/testing/index.js";
import { withOverrides } from "../support/port-contract.js";

interface Row {
  id: string;
  n: number;
}

/** The key the tests' authorizers seal cursors with, and a seal to read them back. */
const cursorKey = "page-test-cursor-key-of-32-chars";
const seal = cursorSeal(cursorKey);
/** The position a page's sealed `next` holds (the cursor of the row it stopped at). */
const opened = (next: string | undefined) =>
  next === undefined ? Promise.resolve(undefined) : seal.open("api_key#read", next);
/** `after` for the page that resumes at `cursor`. */
const sealed = (cursor: string) => seal.seal("api_key#read", cursor);

/** A table of rows `r0000`... in key order, and the application's keyset query over it. */
function table(size: number, extra: Row[] = []) {
  const rows: Row[] = [
    ...Array.from({ length: size }, (_, n) => ({ id: `r${String(n).padStart(4, "0")}`, n })),
    ...extra,
  ].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const reads: Array<{ limit: number; filtered: boolean; rows: number }> = [];
  const candidates =
    (honorFilter = true) =>
    async (after: string | undefined, limit: number, filter?: CandidateFilter) => {
      const ids = filter && honorFilter ? new Set(filter.ids) : undefined;
      const out = rows
        .filter((r) => (after === undefined || r.id > after) && (!ids || ids.has(r.id)))
        .slice(0, limit);
      reads.push({ limit, filtered: filter !== undefined, rows: out.length });
      return out;
    };
  return { rows, reads, candidates };
}

/** A port where `who` may read exactly `readable`. */
function world(readable: readonly string[]): MemoryPort {
  const port = memoryPort();
  for (const id of readable) {
    port.allow({ subject: user("alice"), resource: { type: "api_key", id }, permission: "read" });
  }
  return port;
}

/** Every page from the start, following `next` (bounded: each page reads at least one row). */
async function all(
  authz: RequestAuthorizer,
  options: Omit<PageOptions<Row>, "after">,
  maxPages: number,
): Promise<Array<Page<Row>>> {
  const pages: Array<Page<Row>> = [];
  let after: string | undefined;
  do {
    const page = await authz.page(apiKey, "read", {
      ...options,
      ...(after === undefined ? {} : { after }),
    });
    pages.push(page);
    after = page.next;
  } while (after !== undefined && pages.length <= maxPages);
  return pages;
}

/**
 * 3000 rows: alice reads the last 150, bob all of them; `slow` is the port with every bulk
 * check taking 15 ms, so checking costs far more than alice's lookup.
 */
function lookupsPayForAlice() {
  const t = table(3000);
  const port = world(t.rows.slice(-150).map((r) => r.id));
  for (const row of t.rows) {
    port.allow({
      subject: user("bob"),
      resource: { type: "api_key", id: row.id },
      permission: "read",
    });
  }
  const slow = withOverrides(port, {
    checkMany: async (reqs, o) => {
      await new Promise((resolve) => setTimeout(resolve, 15));
      return port.checkMany(reqs, o);
    },
  });
  return { port, slow, t };
}

const layouts = ["random", "start", "end", "none", "all"] as const;

function readableOf(size: number, layout: (typeof layouts)[number], share: number, seed: number) {
  const count = Math.round(size * share);
  const ids = Array.from({ length: size }, (_, n) => `r${String(n).padStart(4, "0")}`);
  switch (layout) {
    case "start":
      return ids.slice(0, count);
    case "end":
      return ids.slice(size - count);
    case "none":
      return [];
    case "all":
      return ids;
    default:
      return ids.filter((_, n) => ((n * 7919 + seed) % 1000) / 1000 < share);
  }
}

describe("authz.page", () => {
  it("paging to the end returns exactly the readable rows, in key order, each once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          size: fc.integer({ min: 0, max: 300 }),
          layout: fc.constantFrom(...layouts),
          share: fc.double({ min: 0, max: 1, noNaN: true }),
          seed: fc.nat(1000),
          limit: fc.integer({ min: 1, max: 40 }),
          maxCandidates: fc.integer({ min: 1, max: 400 }),
          strategy: fc.constantFrom("auto", "check", "lookup"),
          honorFilter: fc.boolean(),
          lookupFails: fc.boolean(),
        }),
        async (w) => {
          const readable = readableOf(w.size, w.layout, w.share, w.seed);
          const port = world(readable);
          if (w.lookupFails) port.fail(undefined, { ops: ["lookup"] });
          const authz = createAuthorizer({ port, cursorKey, retry: false }).forSubject(
            user("alice"),
          );
          const t = table(w.size, [{ id: "bad id", n: -1 }]); // never readable
          const pages = await all(
            authz,
            {
              limit: w.limit,
              candidates: t.candidates(w.honorFilter),
              maxCandidates: w.maxCandidates,
              strategy: w.strategy,
            },
            w.size + 2,
          );
          expect(pages.at(-1)?.next).toBeUndefined();
          expect(pages.flatMap((p) => p.items.map((r) => r.id))).toEqual(readable);
          expect(pages.every((p) => p.items.length <= w.limit)).toBe(true);
          // Bounded: no call read more candidates than its budget (plus the one-row look-ahead).
          expect(Math.max(0, ...t.reads.map((r) => r.limit))).toBeLessThanOrEqual(
            Math.max(w.maxCandidates, w.limit + 1),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it("checks candidates while the subject's rows are dense; no lookup", async () => {
    const port = world(readableOf(2000, "random", 0.3, 1));
    const t = table(2000);
    const authz = createAuthorizer({ port, cursorKey }).forSubject(user("alice"));
    const page = await authz.page(apiKey, "read", { limit: 50, candidates: t.candidates() });
    expect(page.items).toHaveLength(50);
    expect(await opened(page.next)).toBe(page.items.at(-1)?.id);
    expect(port.callsOf("lookup")).toHaveLength(0);
    // A few batches, not the whole table.
    expect(t.reads.reduce((n, r) => n + r.rows, 0)).toBeLessThan(500);
    expect(t.reads.every((r) => !r.filtered)).toBe(true);
  });

  it("switches to a lookup pushed into the query when the rows are all further on", async () => {
    const readable = readableOf(3000, "end", 0.05, 0);
    const port = world(readable);
    const t = table(3000);
    const authz = createAuthorizer({ port, cursorKey }).forSubject(user("alice"));
    const page = await authz.page(apiKey, "read", { limit: 50, candidates: t.candidates() });
    expect(page.items.map((r) => r.id)).toEqual(readable.slice(0, 50));
    expect(await opened(page.next)).toBe(readable[49]);
    expect(port.callsOf("lookup")).toHaveLength(1);
    // Candidates were checked once (the first batch), then the query was filtered by id.
    expect(port.callsOf("checkMany")).toHaveLength(1);
    expect(t.reads.at(-1)).toMatchObject({ filtered: true, limit: 51 });
    // Told to, it only checks: it reads on, within its budget, and says where to resume.
    const checking = await authz.page(apiKey, "read", {
      limit: 50,
      candidates: t.candidates(),
      strategy: "check",
      maxCandidates: 1000,
    });
    expect(checking.items).toEqual([]);
    expect(await opened(checking.next)).toBe("r0999");
    expect(port.callsOf("lookup")).toHaveLength(1);
  });

  it("learns, per kind and permission, that a lookup pays: later pages look up first", async () => {
    const readable = readableOf(3000, "end", 0.05, 0);
    const port = world(readable);
    const t = table(3000);
    const authorizer = createAuthorizer({ port, cursorKey });
    const first = await authorizer
      .forSubject(user("alice"))
      .page(apiKey, "read", { limit: 50, candidates: t.candidates() });
    expect(port.callsOf("checkMany")).toHaveLength(1); // the probe that found nothing
    // The next request, of the same authorizer, skips the probe: the loop was hopeless here.
    const second = await authorizer
      .forSubject(user("alice"))
      .page(apiKey, "read", { limit: 50, candidates: t.candidates() });
    expect(second).toEqual(first);
    expect(port.callsOf("checkMany")).toHaveLength(1);
    expect(port.callsOf("lookup")).toHaveLength(2);
    // Another permission, or another authorizer, has learned nothing yet.
    await createAuthorizer({ port, cursorKey })
      .forSubject(user("alice"))
      .page(apiKey, "read", { limit: 50, candidates: t.candidates() });
    expect(port.callsOf("checkMany")).toHaveLength(2);
  });

  it("gives up on a first lookup that costs more than checking would: no failure, same page", async () => {
    // alice reads only the last rows: her first page learns that lookups pay for this kind.
    const { port, slow, t } = lookupsPayForAlice();
    const logger = recordingLogger();
    const authorizer = createAuthorizer({ port: slow, cursorKey, logger, retry: false });
    const options = { limit: 20, candidates: t.candidates(), budgetMs: 300 };
    await authorizer.forSubject(user("alice")).page(apiKey, "read", options);
    expect(port.callsOf("lookup")).toHaveLength(1);
    // bob can read everything, and his lookup would take long (here: forever). His page looks
    // up first, gives up once that took what checking takes, and checks: the same page.
    port.fail(undefined, { ops: ["lookup"], hang: true });
    const bob = authorizer.forSubject(user("bob"));
    const started = performance.now();
    const page = await bob.page(apiKey, "read", options);
    expect(performance.now() - started).toBeLessThan(1000); // not the 2000 ms deadline
    expect(page.items).toEqual(t.rows.slice(0, 20));
    expect(await opened(page.next)).toBe(t.rows[19]?.id);
    expect(port.callsOf("lookup")).toHaveLength(2);
    expect(logger.entries.filter((e) => e.level === "error" || e.level === "warn")).toEqual([]);
    // Its cost now counts against lookups: the next pages check without trying again.
    await bob.page(apiKey, "read", options);
    expect(port.callsOf("lookup")).toHaveLength(2);
  });

  it("never looks up first to find out: only a lookup that finished counts", async () => {
    const port = world(readableOf(500, "random", 0.5, 3));
    const t = table(500);
    const authz = createAuthorizer({ port, cursorKey }).forSubject(user("alice"));
    for (let i = 0; i < 40; i++) {
      await authz.page(apiKey, "read", { limit: 20, candidates: t.candidates() });
    }
    expect(port.callsOf("lookup")).toHaveLength(0);
    // A lookup that failed (past its deadline, too many ids) is no reason to look up first.
    const sparse = world(readableOf(3000, "end", 0.05, 0)).fail(undefined, { ops: ["lookup"] });
    const other = createAuthorizer({ port: sparse, cursorKey, retry: false }).forSubject(
      user("alice"),
    );
    const options = { limit: 20, candidates: table(3000).candidates(), maxCandidates: 400 };
    await other.page(apiKey, "read", options);
    const before = sparse.calls.length;
    await other.page(apiKey, "read", options);
    // The second page probes first (a bulk check), then falls back to the (failing) lookup,
    // then checks on within its budget.
    expect(sparse.calls.slice(before).map((c) => c.op)).toEqual([
      "checkMany",
      "lookup",
      "checkMany",
    ]);
  });

  it("answers what it has when the lookup fails and the budget runs out: never a 503", async () => {
    const port = world(["r2999"]).fail(new AuthorizationUnavailableError(), { ops: ["lookup"] });
    const t = table(3000);
    const authz = createAuthorizer({ port, cursorKey, retry: false }).forSubject(user("alice"));
    const page = await authz.page(apiKey, "read", {
      limit: 10,
      candidates: t.candidates(),
      maxCandidates: 400,
    });
    expect(page.items).toEqual([]);
    expect(await opened(page.next)).toBe("r0399");
    expect(t.reads.reduce((n, r) => n + r.rows, 0)).toBe(400);
    const next = await authz.page(apiKey, "read", {
      limit: 10,
      after: await sealed("r2900"),
      candidates: t.candidates(),
    });
    expect(next.items.map((r) => r.id)).toEqual(["r2999"]);
    expect(next.next).toBeUndefined();
    // A bulk check that fails is the caller's 503, as with canMany. (A new authorizer: this one
    // has learned that lookups pay here, and would not check at all.)
    port.recover().fail(new AuthorizationUnavailableError(), { ops: ["checkMany"] });
    const fresh = createAuthorizer({ port, cursorKey, retry: false }).forSubject(user("alice"));
    await expect(
      fresh.page(apiKey, "read", { limit: 10, candidates: t.candidates() }),
    ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
  });

  it("a bypass reads rows unfiltered; no subject reads nothing; custom cursors", async () => {
    const port = memoryPort();
    const authorizer = createAuthorizer({ port, cursorKey });
    const t = table(30);
    const bypass = await authorizer
      .bypass("reindex")
      .page(apiKey, "read", { limit: 10, candidates: t.candidates() });
    expect(bypass.items.map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await opened(bypass.next)).toBe("r0009");
    const before = t.reads.length;
    expect(
      await authorizer.forSubject(null).page(apiKey, "read", {
        limit: 10,
        candidates: t.candidates(),
      }),
    ).toEqual({ items: [] });
    expect(t.reads).toHaveLength(before);
    // The cursor is the application's key: here the row number, counted down.
    const byN = await authorizer.bypass("reindex").page(apiKey, "read", {
      limit: 3,
      after: await sealed("20"),
      cursor: (row: Row) => String(row.n),
      candidates: async (after, limit) =>
        t.rows
          .filter((r) => r.n < Number(after ?? 99))
          .reverse()
          .slice(0, limit),
    });
    expect(byN.items).toEqual([t.rows[19], t.rows[18], t.rows[17]]);
    expect(await opened(byN.next)).toBe("17");
  });

  it("seals next: no row's cursor reaches the caller, and only its own cursors come back", async () => {
    // alice reads every other row: a full page stops right before her next readable row, a
    // row she cannot read, whose id must not be what she is handed.
    const t = table(40);
    const readable = t.rows.filter((r) => r.n % 2 === 0).map((r) => r.id);
    const port = world(readable);
    const authz = createAuthorizer({ port, cursorKey }).forSubject(user("alice"));
    const first = await authz.page(apiKey, "read", { limit: 3, candidates: t.candidates() });
    expect(first.items.map((r) => r.id)).toEqual(["r0000", "r0002", "r0004"]);
    expect(await opened(first.next)).toBe("r0005"); // hidden from alice
    const hidden = t.rows.map((r) => r.id).filter((id) => !readable.includes(id));
    for (const id of [...hidden, ...readable]) expect(first.next).not.toContain(id);
    expect(first.next).toMatch(/^c1\.[A-Za-z0-9_-]+$/);
    // Nor its length: cursors of 1 and 60 characters seal to the same length.
    expect((await sealed("x")).length).toBe((await sealed("x".repeat(60))).length);
    expect(await opened(await sealed("x".repeat(60)))).toBe("x".repeat(60));
    expect(await opened(await sealed(""))).toBe("");
    // The same position seals the same way (pages of one key compare), and resumes.
    const again = await authz.page(apiKey, "read", { limit: 3, candidates: t.candidates() });
    expect(again.next).toBe(first.next);
    const second = await authz.page(apiKey, "read", {
      limit: 3,
      after: first.next as string,
      candidates: t.candidates(),
    });
    expect(second.items.map((r) => r.id)).toEqual(["r0006", "r0008", "r0010"]);
    // A raw cursor, an altered one, one for another permission or kind, or one sealed under
    // another key: a 400, never a page.
    const forDelete = await seal.seal("api_key#delete", "r0005");
    const forAgent = await seal.seal("agent#read", "r0005");
    const foreign = await cursorSeal("another-key-another-key-another-k").seal(
      "api_key#read",
      "r0005",
    );
    const next = first.next as string;
    const altered = `${next.slice(0, -2)}${next.endsWith("A") ? "B" : "A"}${next.slice(-1)}`;
    for (const after of ["r0005", "", altered, forDelete, forAgent, foreign, "c1.", "c1.!!"]) {
      await expect(
        authz.page(apiKey, "read", { limit: 3, after, candidates: t.candidates() }),
      ).rejects.toBeInstanceOf(InvalidIdentifierError);
    }
    // Another authorizer (another instance of the service) with the same key reads it.
    const elsewhere = createAuthorizer({ port, cursorKey }).forSubject(user("alice"));
    expect(
      (await elsewhere.page(apiKey, "read", { limit: 3, after: next, candidates: t.candidates() }))
        .items,
    ).toEqual(second.items);
    // Without a key, a random one: cursors work in this authorizer only.
    const own = createAuthorizer({ port }).forSubject(user("alice"));
    const mine = await own.page(apiKey, "read", { limit: 3, candidates: t.candidates() });
    expect(
      (
        await own.page(apiKey, "read", {
          limit: 3,
          after: mine.next as string,
          candidates: t.candidates(),
        })
      ).items,
    ).toEqual(second.items);
    await expect(
      authz.page(apiKey, "read", {
        limit: 3,
        after: mine.next as string,
        candidates: t.candidates(),
      }),
    ).rejects.toBeInstanceOf(InvalidIdentifierError);
    expect(() => createAuthorizer({ port, cursorKey: "short" })).toThrow(/"cursorKey" must be/);
  });

  it("keeps each bulk check within limits.checkMany", async () => {
    const t = table(3000);
    const port = world(readableOf(3000, "random", 0.02, 5));
    const authz = createAuthorizer({ port, cursorKey, limits: { checkMany: 100 } }).forSubject(
      user("alice"),
    );
    const page = await authz.page(apiKey, "read", {
      limit: 50,
      candidates: t.candidates(),
      strategy: "check",
    });
    expect(page.items.length).toBeGreaterThan(0);
    expect(Math.max(...port.callsOf("checkMany").map((c) => c.req.length))).toBeLessThanOrEqual(
      100,
    );
  });

  it("a bypass teaches the subjects' pages nothing", async () => {
    const { port, slow, t } = lookupsPayForAlice();
    const authorizer = createAuthorizer({ port: slow, cursorKey });
    const bob = authorizer.forSubject(user("bob"));
    const options = { limit: 20, candidates: t.candidates() };
    const first = await bob.page(apiKey, "read", options); // checked: the loop's cost is known
    // A bypass page that "looks up" (no backend call): instant, and not a lookup's cost.
    await authorizer
      .bypass("reindex")
      .page(apiKey, "read", { ...options, strategy: "lookup" as const });
    expect(await bob.page(apiKey, "read", options)).toEqual(first);
    expect(port.callsOf("lookup")).toHaveLength(0); // bob's pages checked, and only checked
  });

  it("one page at a time tries a lookup first; the others check meanwhile", async () => {
    const { port, slow, t } = lookupsPayForAlice();
    const logger = recordingLogger();
    const authorizer = createAuthorizer({ port: slow, cursorKey, logger });
    const options = { limit: 20, candidates: t.candidates(), budgetMs: 300 };
    const alice = authorizer.forSubject(user("alice"));
    await alice.page(apiKey, "read", options); // probe, then the lookup: it pays here
    const checks = port.callsOf("checkMany").length;
    await alice.page(apiKey, "read", options); // the lookup first, and only
    expect(port.callsOf("checkMany")).toHaveLength(checks);
    // Logged as authorizedIds logs a lookup, both times: the count, never the ids.
    const lookups = logger.entries.filter((e) => e.msg === "fgac: lookup");
    expect(lookups.map((e) => e.obj["count"])).toEqual([150, 150]);
    port.fail(undefined, { ops: ["lookup"], hang: true });
    const bob = authorizer.forSubject(user("bob"));
    const pages = await Promise.all([1, 2, 3, 4].map(() => bob.page(apiKey, "read", options)));
    for (const page of pages) expect(page.items).toEqual(t.rows.slice(0, 20));
    expect(port.callsOf("lookup")).toHaveLength(3); // alice's two, and one of bob's four
  });

  it("rejects invalid options when called", async () => {
    const authz = createAuthorizer({ port: memoryPort(), cursorKey }).forSubject(user("alice"));
    const candidates = async () => [];
    for (const bad of [
      { limit: 0, candidates },
      { limit: 1001, candidates },
      { limit: 10 },
      { limit: 10, candidates, maxCandidates: 0 },
      { limit: 10, candidates, strategy: "fast" },
    ]) {
      await expect(authz.page(apiKey, "read", bad as never)).rejects.toThrow(/^page: /);
    }
    await expect(authz.page("Bad Type", "read", { limit: 1, candidates })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
  });
});

describe("authz.page on the embedded SpiceDB", () => {
  let db: EmbeddedSpiceDB;
  const keys = Array.from({ length: 400 }, (_, n) => `k${String(n).padStart(3, "0")}`);
  // alice reads every 9th key and the last 40; bob's own keys are unreadable to her.
  const alices = new Set(keys.filter((_, n) => n % 9 === 0 || n >= 360));
  beforeAll(async () => {
    db = await startEmbeddedSpiceDB({
      schema: agentexSchema,
      relationships: [
        "tenant:acme#member@user:alice",
        "tenant:acme#member@user:bob",
        "agent:a1#tenant@tenant:acme",
        "agent:a1#owner@user:alice",
        ...keys.flatMap((k) => [
          `agent_api_key:${k}#parent_agent@agent:a1`,
          `agent_api_key:${k}#owner@user:${alices.has(k) ? "alice" : "bob"}`,
        ]),
      ],
    });
  });
  afterAll(() => db.close());

  it("pages match a full filter by canMany, whatever the strategy", async () => {
    const authz = createAuthorizer({ port: db.port }).forSubject(user("alice"));
    const rows = keys.map((id, n) => ({ id, n }));
    const expected = (
      await authz.canMany(
        keys.map((k) => apiKey(k)),
        "read",
      )
    )
      .map((allowed, n) => (allowed ? keys[n] : undefined))
      .filter(Boolean);
    expect(expected).toEqual(keys.filter((k) => alices.has(k)));
    for (const strategy of ["auto", "check", "lookup"] as const) {
      const candidates = async (after: string | undefined, limit: number, f?: CandidateFilter) =>
        rows
          .filter((r) => (after === undefined || r.id > after) && (!f || f.ids.includes(r.id)))
          .slice(0, limit);
      const pages = await all(authz, { limit: 7, candidates, strategy, maxCandidates: 60 }, 500);
      expect(pages.flatMap((p) => p.items.map((r) => r.id))).toEqual(expected);
    }
  });
});
