import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db, openSql, pgliteSql } from "../../examples/shared/db.js";
import { type Deps, startDeps } from "../../examples/shared/setup.js";
import type { AuthorizationPort, CollapsePolicy } from "../../src/index.js";
import { type RecordingLogger, recordingLogger } from "../../src/testing/index.js";
import { withOverrides } from "../support/port-contract.js";
import { FRAMEWORKS, keysetPages, type Send } from "./harness.js";

const NOT_FOUND = '{"message":"Agent api_key not found.","code":404,"data":null}';
const AGENT_NOT_FOUND = '{"message":"Agent not found.","code":404,"data":null}';
const FORBIDDEN =
  '{"message":"You do not have permission to perform this action.","code":403,"data":null}';
const UNAVAILABLE =
  '{"message":"Authorization is temporarily unavailable.","code":503,"data":null}';
const JSON_TYPE = "application/json; charset=utf-8";
const INVALID_IDS = ["*", "a%20b", "x".repeat(2000)];

const as = (who: string) => ({ headers: { "x-user-id": who } });

// One PGlite for the whole file (it is slow to start and large); each test reseeds it. The
// same instance also serves the Postgres wire protocol on loopback, so the `pg` path of the
// examples (DATABASE_URL) runs the same scenarios through a real driver and a real socket.
const dbs: { pglite?: Db; pg?: Db } = {};
let socketServer: PGLiteSocketServer | undefined;
beforeAll(async () => {
  const pglite = await PGlite.create();
  dbs.pglite = await createDb(pgliteSql(pglite));
  socketServer = new PGLiteSocketServer({
    db: pglite,
    host: "127.0.0.1",
    port: 0,
    maxConnections: 10,
  });
  await socketServer.start();
  dbs.pg = await createDb(
    await openSql(`postgres://postgres@${socketServer.getServerConn()}/postgres`),
  );
});
afterAll(async () => {
  await dbs.pg?.close();
  await socketServer?.stop();
  await dbs.pglite?.close();
});

/** Every framework on PGlite in-process; Express 5 again on `pg` over the socket. */
const SUITES = [
  ...FRAMEWORKS.map((framework) => ({ framework, data: "pglite" as const })),
  { framework: FRAMEWORKS[0]!, data: "pg" as const },
];

/** Faults injected into the real SpiceDB port, and a count of calls that reached it. */
interface Faults {
  register: boolean;
  deregister: boolean;
  all: boolean;
  calls: number;
}

function faulty(port: AuthorizationPort, faults: Faults): AuthorizationPort {
  const down = () =>
    Promise.reject(new Error("rpc error: code = Unavailable desc = connection refused"));
  const gate =
    <A, R>(name: "register" | "deregister" | null, f: (a: A) => Promise<R>) =>
    (a: A): Promise<R> => {
      faults.calls += 1;
      if (faults.all || (name && faults[name])) return down();
      return f(a);
    };
  return withOverrides(port, {
    check: gate(null, (r) => port.check(r)),
    checkMany: gate(null, (r) => port.checkMany(r)),
    lookup: gate(null, (r) => port.lookup(r)),
    grant: gate(null, (r) => port.grant(r)),
    revoke: gate(null, (r) => port.revoke(r)),
    register: gate("register", (r) => port.register(r)),
    deregister: gate("deregister", (r) => port.deregister(r)),
  });
}

for (const { framework, data } of SUITES) {
  describe(`agentex service on ${framework.name} (${data})`, () => {
    let db: Db;
    beforeAll(() => {
      db = dbs[data] as Db;
    });
    let deps: Deps;
    let send: Send;
    let close: () => Promise<void>;
    let faults: Faults;
    let logger: RecordingLogger;

    async function boot(collapse?: CollapsePolicy): Promise<void> {
      faults = { register: false, deregister: false, all: false, calls: 0 };
      logger = recordingLogger();
      deps = await startDeps({
        db,
        logger,
        wrapPort: (p) => faulty(p, faults),
        ...(collapse ? { collapse } : {}),
      });
      ({ send, close } = await framework.start(deps));
    }
    afterEach(async () => {
      await close?.();
      await deps?.close();
    });

    const expectNotFound = (
      answer: { status: number; headers: Record<string, string>; body: string },
      body = NOT_FOUND,
    ) => {
      expect(answer.status).toBe(404);
      expect(answer.headers["content-type"]).toBe(JSON_TYPE);
      expect(answer.body).toBe(body);
    };
    const comparable = (headers: Record<string, string>) => {
      const { date: _date, ...rest } = headers;
      return rest;
    };

    it("GET /agent_api_keys/:id: allowed, other tenant, absent and invalid ids", async () => {
      await boot();
      const ok = await send("GET", "/agent_api_keys/key-alice", as("alice"));
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toMatchObject({
        id: "key-alice",
        agent_id: "support-bot",
        name: "alice-ci",
      });
      expect(ok.body).not.toContain("agx_"); // the secret is only shown on create

      const denied = await send("GET", "/agent_api_keys/key-alice", as("mallory"));
      const absent = await send("GET", "/agent_api_keys/no-such-key", as("mallory"));
      expectNotFound(denied);
      expectNotFound(absent);
      expect(comparable(denied.headers)).toEqual(comparable(absent.headers));
      const before = faults.calls;
      for (const id of INVALID_IDS) {
        const invalid = await send("GET", `/agent_api_keys/${id}`, as("alice"));
        expectNotFound(invalid);
        expect(comparable(invalid.headers)).toEqual(comparable(absent.headers));
      }
      expect(faults.calls).toBe(before); // invalid ids never reach the backend
    });

    it("GET /agent_api_keys/name/:name: absent, denied and invalid agent give the same 404", async () => {
      await boot();
      const ok = await send(
        "GET",
        "/agent_api_keys/name/alice-ci?agent_id=support-bot",
        as("alice"),
      );
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body).id).toBe("key-alice");
      const answers = [
        await send("GET", "/agent_api_keys/name/alice-ci?agent_id=support-bot", as("mallory")),
        await send("GET", "/agent_api_keys/name/nope?agent_id=support-bot", as("mallory")),
        await send("GET", "/agent_api_keys/name/alice-ci?agent_id=*", as("alice")),
        await send(
          "GET",
          `/agent_api_keys/name/alice-ci?agent_id=${"x".repeat(2000)}`,
          as("alice"),
        ),
        await send("GET", "/agent_api_keys/name/alice-ci", as("alice")),
      ];
      for (const a of answers) {
        expectNotFound(a);
        expect(comparable(a.headers)).toEqual(comparable(answers[0]!.headers));
      }
    });

    it('DELETE /agent_api_keys/:id: readable but not deletable is 403 under "unless-readable"', async () => {
      await boot();
      const forbidden = await send("DELETE", "/agent_api_keys/key-bob", as("bob"));
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toBe(FORBIDDEN);
      expectNotFound(await send("DELETE", "/agent_api_keys/key-alice", as("mallory")));
      expectNotFound(await send("DELETE", "/agent_api_keys/no-such-key", as("mallory")));
      for (const id of INVALID_IDS)
        expectNotFound(await send("DELETE", `/agent_api_keys/${id}`, as("alice")));
      expect(await db.getApiKey("key-bob")).toBeDefined();
      expect(await db.getApiKey("key-alice")).toBeDefined();

      const ok = await send("DELETE", "/agent_api_keys/key-alice", as("alice"));
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toEqual({ id: "key-alice", deleted: true });
      expect(await db.getApiKey("key-alice")).toBeUndefined();
      expectNotFound(await send("GET", "/agent_api_keys/key-alice", as("alice"))); // deregistered
    });

    it('DELETE /agent_api_keys/:id: readable but not deletable is 404 under "always"', async () => {
      await boot("always");
      expectNotFound(await send("DELETE", "/agent_api_keys/key-bob", as("bob")));
      expect(await db.getApiKey("key-bob")).toBeDefined();
    });

    it("DELETE /agent_api_keys/name/:name resolves the name and deletes that id", async () => {
      await boot();
      expect(
        (await send("DELETE", "/agent_api_keys/name/bob-laptop?agent_id=support-bot", as("bob")))
          .status,
      ).toBe(403);
      expectNotFound(
        await send("DELETE", "/agent_api_keys/name/alice-ci?agent_id=support-bot", as("mallory")),
      );
      expectNotFound(
        await send("DELETE", "/agent_api_keys/name/nope?agent_id=support-bot", as("alice")),
      );
      expectNotFound(await send("DELETE", "/agent_api_keys/name/alice-ci?agent_id=*", as("alice")));
      const ok = await send(
        "DELETE",
        "/agent_api_keys/name/alice-ci?agent_id=support-bot",
        as("alice"),
      );
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toEqual({ id: "key-alice", deleted: true });
      expect(await db.getApiKey("key-alice")).toBeUndefined();
      expect(await db.getApiKey("key-bob")).toBeDefined();
    });

    it("POST /agent_api_keys needs update on the parent agent and registers before the insert", async () => {
      await boot();
      const created = await send("POST", "/agent_api_keys", {
        ...as("alice"),
        body: { agent_id: "support-bot", name: "k-new" },
      });
      expect(created.status).toBe(201);
      const key = JSON.parse(created.body);
      expect(key.api_key).toMatch(/^agx_/);
      expect((await send("GET", `/agent_api_keys/${key.id}`, as("alice"))).status).toBe(200);
      expect((await send("DELETE", `/agent_api_keys/${key.id}`, as("alice"))).status).toBe(200);

      const viewer = await send("POST", "/agent_api_keys", {
        ...as("bob"),
        body: { agent_id: "support-bot", name: "x" },
      });
      expect(viewer.status).toBe(403);
      const stranger = await send("POST", "/agent_api_keys", {
        ...as("mallory"),
        body: { agent_id: "support-bot", name: "x" },
      });
      expectNotFound(stranger, AGENT_NOT_FOUND);
      expectNotFound(
        await send("POST", "/agent_api_keys", {
          ...as("alice"),
          body: { agent_id: "*", name: "x" },
        }),
        AGENT_NOT_FOUND,
      );
      expect(
        (await send("POST", "/agent_api_keys", { ...as("alice"), body: { name: 3 } })).status,
      ).toBe(400);
      const rows = await db.listApiKeys({ ids: undefined, limit: 100, offset: 0 });
      expect(rows.map((r) => r.name).sort()).toEqual(["alice-ci", "bob-laptop", "mallory-prod"]);
    });

    it("POST /agent_api_keys: a register failure answers 503 and stores no row", async () => {
      await boot();
      faults.register = true;
      const answer = await send("POST", "/agent_api_keys", {
        ...as("alice"),
        body: { agent_id: "support-bot", name: "k-fail" },
      });
      expect(answer.status).toBe(503);
      expect(answer.body).toBe(UNAVAILABLE);
      expect(await db.getApiKeyByName("support-bot", "k-fail")).toBeUndefined();
    });

    it("DELETE: a deregister failure still answers 200, deletes the row and logs a possible orphan", async () => {
      await boot();
      faults.deregister = true;
      const answer = await send("DELETE", "/agent_api_keys/key-alice", as("alice"));
      expect(answer.status).toBe(200);
      expect(await db.getApiKey("key-alice")).toBeUndefined();
      const line = logger.entries.find((e) => e.msg?.includes("orphaned"));
      expect(line?.obj).toMatchObject({ resourceType: "api_key", resourceId: "key-alice" });
      expect(logger.text()).not.toContain('"alice"');
    });

    it("a backend outage answers 503 and never runs the handler", async () => {
      await boot();
      faults.all = true;
      const queries = db.queries;
      for (const [method, path] of [
        ["GET", "/agent_api_keys/key-alice"],
        ["DELETE", "/agent_api_keys/key-alice"],
        ["GET", "/agent_api_keys"],
        ["GET", "/agents/support-bot"],
      ] as const) {
        const answer = await send(method, path, as("alice"));
        expect(answer.status).toBe(503);
        expect(answer.body).toBe(UNAVAILABLE);
      }
      expect(db.queries).toBe(queries);
      expect(await db.getApiKey("key-alice")).toBeDefined();
    });

    /**
     * Seven keys for alice and seven for mallory, created in turns: other tenants' rows
     * interleave with alice's (so filtering after LIMIT would return short pages, and in id
     * order, random UUIDs, they mix too). Returns alice's key ids, her seeded one first.
     */
    async function interleavedKeys(): Promise<string[]> {
      const mine: string[] = ["key-alice"];
      for (let i = 0; i < 7; i++) {
        const a = await send("POST", "/agent_api_keys", {
          ...as("alice"),
          body: { agent_id: "support-bot", name: `a${i}` },
        });
        mine.push(JSON.parse(a.body).id);
        const m = await send("POST", "/agent_api_keys", {
          ...as("mallory"),
          body: { agent_id: "billing-bot", name: `m${i}` },
        });
        expect(m.status).toBe(201);
      }
      return mine;
    }

    it("GET /agent_api_keys pages through only authorized rows, full pages across pages", async () => {
      await boot();
      const mine = await interleavedKeys();
      const pages: string[][] = [];
      for (const page of [1, 2, 3, 4]) {
        const answer = await send(
          "GET",
          `/agent_api_keys?limit=3&page_number=${page}`,
          as("alice"),
        );
        expect(answer.status).toBe(200);
        pages.push(JSON.parse(answer.body).map((r: { id: string }) => r.id));
      }
      expect(pages.map((p) => p.length)).toEqual([3, 3, 2, 0]);
      expect(pages.flat().sort()).toEqual([...mine].sort());
      const filtered = await send("GET", "/agent_api_keys?agent_id=billing-bot", as("alice"));
      expect(JSON.parse(filtered.body)).toEqual([]);
      // Scoped to one agent (the lookup follows that agent's keys): the same full pages, and
      // bob's key under the same agent never shows.
      const scoped: string[][] = [];
      for (const page of [1, 2, 3]) {
        const answer = await send(
          "GET",
          `/agent_api_keys?agent_id=support-bot&limit=3&page_number=${page}`,
          as("alice"),
        );
        scoped.push(JSON.parse(answer.body).map((r: { id: string }) => r.id));
      }
      expect(scoped.map((p) => p.length)).toEqual([3, 3, 2]);
      expect(scoped.flat().sort()).toEqual([...mine].sort());
      expect((await send("GET", "/agent_api_keys?limit=0", as("alice"))).status).toBe(400);
    });

    it("GET /agent_api_keys?after= pages by keyset (authz.page) to the end, following x-next-after", async () => {
      await boot();
      const mine = await interleavedKeys();
      // Ids are ASCII: UTF-16 order is byte order (COLLATE "C").
      const inIdOrder = [...mine].sort();
      // Exactly alice's keys, each once, in id order; full pages but the last, which alone has
      // no x-next-after.
      const pages = await keysetPages(send, "/agent_api_keys?limit=3", as("alice"));
      expect(pages.map((p) => p.length)).toEqual([3, 3, 2]);
      expect(pages.flat()).toEqual(inIdOrder);
      // Scoped to one agent: only its keys are read and checked (bob's never shows).
      const scoped = await keysetPages(
        send,
        "/agent_api_keys?agent_id=support-bot&limit=3",
        as("alice"),
      );
      expect(scoped).toEqual(pages);
      // One page holding everything: no header at all.
      expect(await keysetPages(send, "/agent_api_keys", as("alice"))).toEqual([inIdOrder]);
      // A hidden agent, an absent one and an invalid id list nothing, as without `after`.
      for (const agentId of ["billing-bot", "no-such-agent", "*"]) {
        const answer = await send("GET", `/agent_api_keys?agent_id=${agentId}&after=`, as("alice"));
        expect(answer.status).toBe(200);
        expect(answer.body).toBe("[]");
        expect(answer.headers["x-next-after"]).toBeUndefined();
      }
      // x-next-after is sealed: it names no key (often the one it stops at is mallory's), and
      // a key's id as `after` is a 400 with a constant body.
      const rows = await deps.db.listApiKeys({ ids: undefined, limit: 100, offset: 0 });
      const first = await send("GET", "/agent_api_keys?limit=1&after=", as("alice"));
      const next = first.headers["x-next-after"];
      expect(next).toMatch(/^c1\.[A-Za-z0-9_-]+$/);
      for (const row of rows) {
        expect(next).not.toContain(row.id);
        const raw = await send("GET", `/agent_api_keys?after=${row.id}`, as("alice"));
        expect(raw.status).toBe(400);
        expect(raw.body).toBe('{"message":"Invalid page cursor.","code":400,"data":null}');
      }
      // The offset route is unchanged: no header.
      const offset = await send("GET", "/agent_api_keys?limit=3&page_number=1", as("alice"));
      expect(offset.headers["x-next-after"]).toBeUndefined();
      // The pushed-down filter: only the given ids, after the cursor, of the agent.
      expect(
        (
          await db.apiKeysAfter({
            after: inIdOrder[0],
            limit: 100,
            ids: ["key-alice", "key-bob", "key-mallory", inIdOrder[0]!],
            agentId: "support-bot",
          })
        ).map((r) => r.id),
      ).toEqual(["key-alice", "key-bob"].filter((id) => id > inIdOrder[0]!));
      // `page_number` with `after` is ambiguous; a bad cursor is refused like any text.
      for (const query of [
        "after=&page_number=1",
        `after=${inIdOrder[0]}&page_number=2`,
        "after=a%00b",
        `after=${"x".repeat(2049)}`,
        "after=a&after=b",
        "after=&limit=0",
      ]) {
        const answer = await send("GET", `/agent_api_keys?${query}`, as("alice"));
        expect(answer.status, query).toBe(400);
        expect(answer.headers["x-next-after"]).toBeUndefined();
      }
      expect((await send("GET", "/agent_api_keys?after=&page_number=1", as("alice"))).body).toBe(
        '{"message":"Invalid request: page_number.","code":400,"data":null}',
      );
    });

    it("GET /agent_api_keys: nothing authorized answers [] without running SQL", async () => {
      await boot();
      const queries = db.queries;
      for (const headers of [as("carol"), {}]) {
        const answer = await send("GET", "/agent_api_keys", headers);
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body)).toEqual([]);
      }
      expect(db.queries).toBe(queries);
    });

    it("agents: create in the caller's tenant, read it back, hidden from other tenants", async () => {
      await boot();
      const created = await send("POST", "/agents", {
        ...as("carol"),
        body: { name: "helper", tenant_id: "acme" },
      });
      expect(created.status).toBe(201);
      const id = JSON.parse(created.body).id;
      expect((await send("GET", `/agents/${id}`, as("carol"))).status).toBe(200);
      expectNotFound(await send("GET", `/agents/${id}`, as("mallory")), AGENT_NOT_FOUND);
      expectNotFound(await send("GET", "/agents/no-such-agent", as("mallory")), AGENT_NOT_FOUND);
      expectNotFound(await send("GET", "/agents/*", as("mallory")), AGENT_NOT_FOUND);
      const wrongTenant = await send("POST", "/agents", {
        ...as("carol"),
        body: { name: "x", tenant_id: "globex" },
      });
      expect(wrongTenant.status).toBe(404);
    });

    it("identity headers: both at once or an invalid id is 401", async () => {
      await boot();
      const both = await send("GET", "/agent_api_keys", {
        headers: { "x-user-id": "alice", "x-service-account-id": "svc" },
      });
      expect(both.status).toBe(401);
      expect(both.headers["content-type"]).toBe(JSON_TYPE);
      expect(
        (await send("GET", "/agent_api_keys", { headers: { "x-user-id": "a b" } })).status,
      ).toBe(401);
    });
  });
}

describe("malformed URLs", () => {
  it("never echo the path and never depend on what exists", async () => {
    for (const framework of FRAMEWORKS) {
      const deps = await startDeps({ db: dbs.pglite as Db });
      const { send, close } = await framework.start(deps);
      try {
        const answer = await send("GET", "/agent_api_keys/%E0%A4%A-secret", as("alice"));
        expect([400, 404]).toContain(answer.status);
        expect(answer.headers["content-type"]).toBe(JSON_TYPE);
        expect(answer.body).not.toContain("secret");
        expect(JSON.parse(answer.body)).toMatchObject({ code: answer.status, data: null });
      } finally {
        await close();
        await deps.close();
      }
    }
  });
});
