// The example service's side of the dual write and reconcile: rows keep their owner and parent,
// the service passes `exists` to the helpers, the rows stream in byte order, and
// `npm run reconcile` prints what it found and fixed.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db, pgliteSql } from "../../examples/shared/db.js";
import * as service from "../../examples/shared/service.js";
import { type Deps, startDeps } from "../../examples/shared/setup.js";
import { type AuthorizationPort, agent, apiKey, reconcile, user } from "../../src/index.js";
import { FRAMEWORKS } from "./harness.js";

const run = promisify(execFile);
const alice = user("alice");

let pglite: PGlite;
let db: Db;
let deps: Deps;
beforeAll(async () => {
  pglite = await PGlite.create();
  db = await createDb(pgliteSql(pglite));
  deps = await startDeps({ db });
});
afterAll(async () => {
  await deps?.close();
  await db?.close();
});

/** Every registered api key id, through the port's pages. */
async function registered(port: AuthorizationPort): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await port.registrations!({
      resourceType: "api_key",
      limit: 500,
      ...(cursor ? { cursor } : {}),
    });
    ids.push(...page.items.map((r) => r.id));
    cursor = page.cursor;
  } while (cursor);
  return ids;
}

describe("the example service and reconcile", () => {
  it("rows keep owner and parent: reconcile restores a lost registration, removes an orphan", async () => {
    const hono = FRAMEWORKS.find((f) => f.name === "hono")!;
    const { send, close } = await hono.start(deps);
    try {
      const as = { headers: { "x-user-id": "alice" } };
      const created = await send("POST", "/agent_api_keys", {
        ...as,
        body: { agent_id: "support-bot", name: "reconciled" },
      });
      expect(created.status).toBe(201);
      const { id } = JSON.parse(created.body) as { id: string };
      // The registration is lost (a clean-up gone wrong); an orphan registration appears.
      await deps.port.deregister({ resource: apiKey(id) });
      await deps.port.register({
        subject: alice,
        resource: apiKey("orphan-x"),
        parent: agent("a"),
      });
      expect((await send("GET", `/agent_api_keys/${id}`, as)).status).toBe(404);

      const report = await reconcile({
        port: deps.port,
        kind: apiKey,
        rows: () => db.apiKeyRows(),
        fix: true,
        graceMs: 0,
      });
      expect(report.rowsWithoutRegistration.listed).toEqual([{ id, fixed: true }]);
      expect(report.registrationsWithoutRow.listed).toEqual([{ id: "orphan-x", fixed: true }]);
      // Registered again for its owner under its agent: alice reads it, mallory still cannot.
      expect((await send("GET", `/agent_api_keys/${id}`, as)).status).toBe(200);
      const mallory = { headers: { "x-user-id": "mallory" } };
      expect((await send("GET", `/agent_api_keys/${id}`, mallory)).status).toBe(404);
      const again = await reconcile({ port: deps.port, kind: agent, rows: () => db.agentRows() });
      expect([again.rowsWithoutRegistration.count, again.registrationsWithoutRow.count]).toEqual([
        0, 0,
      ]);
    } finally {
      await close();
    }
  });

  it("the service passes exists: a delete that committed, then threw, still deregisters", async () => {
    const authz = deps.authorizer.forSubject(alice);
    const row = await service.createApiKey(
      deps,
      authz,
      { agent_id: "support-bot", name: "lost-connection" },
      alice,
    );
    const flaky: Db = Object.create(db, {
      deleteApiKey: {
        value: async (id: string) => {
          await db.deleteApiKey(id);
          throw new Error("connection lost after commit");
        },
      },
      insertApiKey: {
        value: async (r: Parameters<Db["insertApiKey"]>[0]) => {
          await db.insertApiKey(r);
          throw new Error("connection lost after commit");
        },
      },
    });
    await expect(service.deleteApiKey({ db: flaky }, authz, row.id)).rejects.toThrow("lost");
    expect(await registered(deps.port)).not.toContain(row.id);
    // And a create whose insert committed, then threw: the registration is kept with its row.
    await expect(
      service.createApiKey({ db: flaky }, authz, { agent_id: "support-bot", name: "kept" }, alice),
    ).rejects.toThrow("lost");
    const kept = await db.getApiKeyByName("support-bot", "kept");
    expect(kept).toBeDefined();
    expect(await registered(deps.port)).toContain(kept?.id);
  });

  it("rows stream in byte order, 500 at a time, as reconcile merges them", async () => {
    const ids = Array.from({ length: 1100 }, (_, i) => `${i % 2 ? "K" : "k"}-${i}_${i % 7}`);
    for (const [i, id] of ids.entries()) {
      await db.insertApiKey({ id, agent_id: "billing-bot", name: `bulk-${i}`, secret: "s" });
    }
    const streamed: string[] = [];
    for await (const row of db.apiKeyRows()) streamed.push(row.id);
    expect(streamed).toEqual([...streamed].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(streamed.filter((id) => ids.includes(id))).toHaveLength(ids.length);
    // Rows without an owner are reported, never registered to nobody.
    const report = await reconcile({ port: deps.port, kind: apiKey, rows: () => db.apiKeyRows() });
    expect(report.rowsWithoutRegistration.count).toBe(ids.length);
    const fixed = await reconcile({
      port: deps.port,
      kind: apiKey,
      rows: () => db.apiKeyRows(),
      fix: true,
      graceMs: 0,
      maxListed: 1,
    });
    expect(fixed.rowsWithoutRegistration).toMatchObject({ count: ids.length, fixed: 0 });
    expect(fixed.rowsWithoutRegistration.listed).toEqual([
      { id: expect.any(String), fixed: false, reason: "no_owner" },
    ]);
  });

  it("npm run reconcile (PGlite, embedded SpiceDB) prints what it found and fixed", async () => {
    const { stdout } = await run("npm", ["run", "--silent", "reconcile"], { timeout: 90_000 });
    expect(stdout).toContain("agent: 2 rows, 2 registrations");
    expect(stdout).toMatch(
      /api_key: 4 rows, 4 registrations\n {2}rows without registration: 1 found, 1 fixed: key-without-registration \(fixed\)\n {2}registrations without row: 1 found, 1 fixed: key-without-row \(fixed\)/,
    );
  }, 120_000);
});
