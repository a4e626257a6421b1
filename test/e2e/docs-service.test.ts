// The docs example (a schema without `read`: seeing is `view`) on every framework, over PGlite
// and the embedded SpiceDB: collapse to 404 vs 403 on the kind's read permission, two-factor
// delete, list filtering (empty list without SQL), the dual write, a service account caller,
// and the startup check that stops a service whose schema does not match its kinds.
import { spawn } from "node:child_process";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDocsDb, type DocsDb } from "../../examples/docs/shared/db.js";
import { type DocsDeps, docsSchema, startDocsDeps } from "../../examples/docs/shared/setup.js";
import { pgliteSql } from "../../examples/shared/db.js";
import {
  type AuthorizationPort,
  type CollapsePolicy,
  ConfigurationError,
} from "../../src/index.js";
import { type RecordingLogger, recordingLogger } from "../../src/testing/index.js";
import { withOverrides } from "../support/port-contract.js";
import { DOCS_FRAMEWORKS } from "./docs-harness.js";
import { type Answer, keysetPages, type Send } from "./harness.js";

const DOC_NOT_FOUND = '{"message":"Document not found.","code":404,"data":null}';
const FOLDER_NOT_FOUND = '{"message":"Folder not found.","code":404,"data":null}';
const FORBIDDEN =
  '{"message":"You do not have permission to perform this action.","code":403,"data":null}';
const UNAVAILABLE =
  '{"message":"Authorization is temporarily unavailable.","code":503,"data":null}';
const INVALID_IDS = ["*", "a%20b", "x".repeat(2000)];

const as = (who: string) => ({ headers: { "x-user-id": who } });
const indexer = { headers: { "x-service-account-id": "indexer" } };
const ids = (a: Answer) => (JSON.parse(a.body) as Array<{ id: string }>).map((r) => r.id).sort();

// One PGlite for the whole file (slow to start, large); each test reseeds it.
let db: DocsDb;
let pglite: PGlite;
beforeAll(async () => {
  pglite = await PGlite.create();
  db = await createDocsDb(pgliteSql(pglite));
});
afterAll(() => pglite?.close());

/** Faults injected into the real port, and a count of the calls that reached it. */
interface Faults {
  register: boolean;
  deregister: boolean;
  calls: number;
}

function faulty(port: AuthorizationPort, faults: Faults): AuthorizationPort {
  const down = () => Promise.reject(new Error("rpc error: code = Unavailable desc = refused"));
  const count =
    <A, O, R>(f: (a: A, o?: O) => Promise<R>, fail?: () => boolean) =>
    (a: A, o?: O): Promise<R> => {
      faults.calls += 1;
      return fail?.() ? down() : f(a, o);
    };
  return withOverrides(port, {
    check: count((r, o) => port.check(r, o)),
    checkMany: count((r, o) => port.checkMany(r, o)),
    lookup: count((r, o) => port.lookup(r, o)),
    register: count(
      (r, o) => port.register(r, o),
      () => faults.register,
    ),
    deregister: count(
      (r, o) => port.deregister(r, o),
      () => faults.deregister,
    ),
  });
}

for (const framework of DOCS_FRAMEWORKS) {
  describe(`docs service on ${framework.name}`, () => {
    let deps: DocsDeps;
    let send: Send;
    let close: () => Promise<void>;
    let faults: Faults;
    let logger: RecordingLogger;

    async function boot(collapse?: CollapsePolicy): Promise<void> {
      faults = { register: false, deregister: false, calls: 0 };
      logger = recordingLogger();
      deps = await startDocsDeps({
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

    const expectNotFound = (answer: Answer, body = DOC_NOT_FOUND) => {
      expect(answer.status).toBe(404);
      expect(answer.body).toBe(body);
    };

    it("GET /documents/:id: inherited view, hidden, absent and invalid ids", async () => {
      await boot();
      // bob views engineering, so specs inside it, so api-spec inside that.
      const inherited = await send("GET", "/documents/api-spec", as("bob"));
      expect(inherited.status).toBe(200);
      expect(JSON.parse(inherited.body)).toMatchObject({ id: "api-spec", folder_id: "specs" });
      const hidden = await send("GET", "/documents/salaries", as("bob"));
      const absent = await send("GET", "/documents/no-such-doc", as("bob"));
      expectNotFound(hidden);
      expectNotFound(absent);
      const { date: _a, ...hiddenHeaders } = hidden.headers;
      const { date: _b, ...absentHeaders } = absent.headers;
      expect(hiddenHeaders).toEqual(absentHeaders);
      const before = faults.calls;
      for (const id of INVALID_IDS)
        expectNotFound(await send("GET", `/documents/${id}`, as("bob")));
      expect(faults.calls).toBe(before); // invalid ids never reach SpiceDB
      expectNotFound(await send("GET", "/folders/hr", as("bob")), FOLDER_NOT_FOUND);
      expect((await send("GET", "/folders/specs", as("bob"))).status).toBe(200);
    });

    it('PATCH: viewable but not editable is 403 under "unless-readable" (read permission: view)', async () => {
      await boot();
      const rename = (id: string, who: string) =>
        send("PATCH", `/documents/${id}`, { ...as(who), body: { title: "Renamed" } });
      const forbidden = await rename("roadmap", "bob");
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toBe(FORBIDDEN);
      expectNotFound(await rename("salaries", "bob"));
      expectNotFound(await rename("roadmap", "carol")); // carol edits api-spec, sees nothing else
      const ok = await rename("api-spec", "carol");
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toMatchObject({ id: "api-spec", title: "Renamed" });
      expect((await rename("roadmap", "alice")).status).toBe(200);
      expect((await send("PATCH", "/documents/roadmap", { ...as("alice"), body: {} })).status).toBe(
        400,
      );
    });

    it('PATCH: viewable but not editable is 404 under "always"', async () => {
      await boot("always");
      const answer = await send("PATCH", "/documents/roadmap", {
        ...as("bob"),
        body: { title: "x" },
      });
      expectNotFound(answer);
    });

    it("DELETE is two-factor: ownership AND edit on the folder", async () => {
      await boot();
      // eve owns eve-notes but only views engineering: she may not delete it.
      const eve = await send("DELETE", "/documents/eve-notes", as("eve"));
      expect(eve.status).toBe(403);
      expect(eve.body).toBe(FORBIDDEN);
      // carol may edit api-spec but owns nothing.
      expect((await send("DELETE", "/documents/api-spec", as("carol"))).status).toBe(403);
      expectNotFound(await send("DELETE", "/documents/salaries", as("alice")));
      for (const id of INVALID_IDS)
        expectNotFound(await send("DELETE", `/documents/${id}`, as("alice")));
      expect(await db.getDocument("eve-notes")).toBeDefined();
      // alice owns the folder: she may delete eve's notes, and the handbook nobody owns.
      for (const id of ["eve-notes", "handbook"]) {
        const ok = await send("DELETE", `/documents/${id}`, as("alice"));
        expect(ok.status).toBe(200);
        expect(JSON.parse(ok.body)).toEqual({ id, deleted: true });
        expect(await db.getDocument(id)).toBeUndefined();
        expectNotFound(await send("GET", `/documents/${id}`, as("bob"))); // deregistered
      }
    });

    it("POST /documents needs edit on the folder and registers before the insert", async () => {
      await boot();
      const create = (who: string, body: unknown) =>
        send("POST", "/documents", { ...as(who), body });
      const created = await create("alice", { folder_id: "specs", title: "New spec" });
      expect(created.status).toBe(201);
      const { id } = JSON.parse(created.body);
      expect((await send("GET", `/documents/${id}`, as("bob"))).status).toBe(200); // inherited
      expect((await send("DELETE", `/documents/${id}`, as("alice"))).status).toBe(200);

      const viewer = await create("bob", { folder_id: "specs", title: "x" });
      expect(viewer.status).toBe(403);
      expectNotFound(await create("mallory", { folder_id: "specs", title: "x" }), FOLDER_NOT_FOUND);
      expectNotFound(await create("alice", { folder_id: "*", title: "x" }), FOLDER_NOT_FOUND);
      expect((await create("alice", { folder_id: "specs" })).status).toBe(400);
      const rows = await db.listDocuments({ ids: undefined, limit: 100, offset: 0 });
      expect(rows.map((r) => r.id).sort()).toEqual([
        "api-spec",
        "eve-notes",
        "handbook",
        "roadmap",
        "salaries",
      ]);
    });

    it("POST /folders: a subfolder under one the caller edits; its documents inherit twice", async () => {
      await boot();
      const folder = await send("POST", "/folders", {
        ...as("alice"),
        body: { name: "Drafts", parent_id: "specs" },
      });
      expect(folder.status).toBe(201);
      const parent = JSON.parse(folder.body).id;
      const doc = await send("POST", "/documents", {
        ...as("alice"),
        body: { folder_id: parent, title: "Deep" },
      });
      const { id } = JSON.parse(doc.body);
      expect((await send("GET", `/documents/${id}`, as("bob"))).status).toBe(200);
      expectNotFound(await send("GET", `/documents/${id}`, as("mallory")));
      const bobs = await send("POST", "/folders", {
        ...as("bob"),
        body: { name: "x", parent_id: parent },
      });
      expect(bobs.status).toBe(403);
      const root = await send("POST", "/folders", { ...as("dave"), body: { name: "Dave's" } });
      expect(root.status).toBe(201);
      expect((await send("GET", `/folders/${JSON.parse(root.body).id}`, as("dave"))).status).toBe(
        200,
      );
    });

    it("GET /documents lists what the caller may view, scoped by folder, paged", async () => {
      await boot();
      const bob = await send("GET", "/documents", as("bob"));
      expect(ids(bob)).toEqual(["api-spec", "eve-notes", "handbook", "roadmap"]);
      expect(ids(await send("GET", "/documents", as("mallory")))).toEqual(["salaries"]);
      expect(ids(await send("GET", "/documents", as("carol")))).toEqual(["api-spec"]);
      expect(ids(await send("GET", "/documents?folder_id=specs", as("bob")))).toEqual(["api-spec"]);
      // A folder the caller cannot view: [] (its children are never read).
      expect(ids(await send("GET", "/documents?folder_id=hr", as("bob")))).toEqual([]);
      const pages = [];
      for (const page of [1, 2, 3])
        pages.push(ids(await send("GET", `/documents?limit=2&page_number=${page}`, as("bob"))));
      expect(pages.map((p) => p.length)).toEqual([2, 2, 0]);
      expect(pages.flat().sort()).toEqual(ids(bob));
      expect((await send("GET", "/documents?limit=0", as("bob"))).status).toBe(400);
    });

    it("GET /documents?after= pages by keyset (authz.page) to the end, following x-next-after", async () => {
      await boot();
      const specs: string[] = ["api-spec"];
      for (let i = 0; i < 3; i++) {
        // Documents bob may not view interleave with his in id order (random UUIDs).
        const a = await send("POST", "/documents", {
          ...as("alice"),
          body: { folder_id: "specs", title: `Spec ${i}` },
        });
        specs.push(JSON.parse(a.body).id);
        const m = await send("POST", "/documents", {
          ...as("mallory"),
          body: { folder_id: "hr", title: `HR ${i}` },
        });
        expect(m.status).toBe(201);
      }
      const bobs = [...specs, "eve-notes", "handbook", "roadmap"].sort(); // ASCII: byte order
      // Exactly what bob may view, each once, in id order; full pages but the last, which alone
      // has no x-next-after.
      const pages = await keysetPages(send, "/documents?limit=2", as("bob"));
      expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
      expect(pages.flat()).toEqual(bobs);
      expect(await keysetPages(send, "/documents", indexer)).toEqual([
        ["api-spec", "eve-notes", "handbook", "roadmap", ...specs.slice(1)].sort(),
      ]);
      // Scoped to one folder: only its documents are read and checked.
      const scoped = await keysetPages(send, "/documents?folder_id=specs&limit=2", as("bob"));
      expect(scoped.map((p) => p.length)).toEqual([2, 2]);
      expect(scoped.flat()).toEqual([...specs].sort());
      // A folder the caller cannot view lists nothing, as without `after`: carol may edit
      // api-spec, in specs, but not view specs.
      expect(await keysetPages(send, "/documents?folder_id=specs", as("carol"))).toEqual([[]]);
      expect(ids(await send("GET", "/documents?folder_id=specs", as("carol")))).toEqual([]);
      expect(await keysetPages(send, "/documents", as("carol"))).toEqual([["api-spec"]]);
      for (const folderId of ["hr", "no-such-folder", "*"])
        expect(await keysetPages(send, `/documents?folder_id=${folderId}`, as("bob"))).toEqual([
          [],
        ]);
      // The pushed-down filter: only the given ids, after the cursor, of the folder.
      const filtered = await db.documentsAfter({
        after: "api-spec",
        limit: 100,
        ids: ["api-spec", "eve-notes", "roadmap", "salaries"],
        folderId: "engineering",
      });
      expect(filtered.map((r) => r.id)).toEqual(["eve-notes", "roadmap"]);
      // `page_number` with `after` is ambiguous (400), so is a bad cursor.
      for (const query of ["after=&page_number=1", "after=roadmap&page_number=2", "after=%01"]) {
        const answer = await send("GET", `/documents?${query}`, as("bob"));
        expect(answer.status, query).toBe(400);
        expect(answer.headers["x-next-after"]).toBeUndefined();
      }
    });

    it("GET /documents: nothing viewable answers [] without running SQL", async () => {
      await boot();
      const queries = db.queries;
      for (const init of [as("dave"), {}]) {
        const answer = await send("GET", "/documents", init);
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body)).toEqual([]);
      }
      expect(db.queries).toBe(queries);
    });

    it("a service account caller lists, reads, and is denied like anyone else", async () => {
      await boot();
      const listed = await send("GET", "/documents", indexer);
      expect(listed.status).toBe(200);
      expect(ids(listed)).toEqual(["api-spec", "eve-notes", "handbook", "roadmap"]);
      const read = await send("GET", "/documents/handbook", indexer);
      expect(read.status).toBe(200);
      expect(JSON.parse(read.body)).toMatchObject({ id: "handbook", title: "Handbook" });
      expectNotFound(await send("GET", "/documents/salaries", indexer));
      const edit = await send("PATCH", "/documents/roadmap", { ...indexer, body: { title: "x" } });
      expect(edit.status).toBe(403);
    });

    it("dual write: a register failure is 503 with no row; a deregister failure is a logged orphan", async () => {
      await boot();
      faults.register = true;
      const failed = await send("POST", "/documents", {
        ...as("alice"),
        body: { folder_id: "specs", title: "Lost" },
      });
      expect(failed.status).toBe(503);
      expect(failed.body).toBe(UNAVAILABLE);
      const titles = (await db.listDocuments({ ids: undefined, limit: 100, offset: 0 })).map(
        (r) => r.title,
      );
      expect(titles).not.toContain("Lost");
      faults.deregister = true;
      expect((await send("DELETE", "/documents/roadmap", as("alice"))).status).toBe(200);
      expect(await db.getDocument("roadmap")).toBeUndefined();
      const line = logger.entries.find(
        (e) => e.msg?.includes("orphaned") && e.obj?.["resourceId"] === "roadmap",
      );
      expect(line?.obj).toMatchObject({ resourceType: "document", resourceId: "roadmap" });
      expect(logger.text()).not.toContain('"alice"');
    });
  });
}

describe("docs service startup", () => {
  it("stops with one error naming every mismatch when the schema does not match the kinds", async () => {
    const schema = docsSchema
      .replace("    permission delete = (owner + folder->delete) & folder->edit\n", "")
      .replace(
        "permission view = viewer + edit + parent->view",
        "permission see = viewer + edit + parent->see",
      );
    const started = startDocsDeps({ db, schema });
    await expect(started).rejects.toBeInstanceOf(ConfigurationError);
    await expect(started).rejects.toThrow(
      "verifySchema: the SpiceDB schema lacks what the service uses:\n- document: no permission delete\n- folder: no permission view",
    );
  });
});

describe("npm run example -- docs", () => {
  it("serves the docs service (README command), verified and seeded", async () => {
    const child = spawn("npm", ["run", "--silent", "example", "--", "docs", "hono"], {
      env: { ...process.env, PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let pid: number | undefined;
    try {
      const base = await new Promise<string>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`no banner in: ${out}`)), 45_000);
        child.stdout?.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const m = /docs example \(hono\) on (http:\/\/127\.0\.0\.1:\d+) \(pid (\d+)\)/.exec(out);
          if (m?.[1]) {
            pid = Number(m[2]);
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
      });
      const listed = await fetch(`${base}/documents`, { headers: { "x-user-id": "carol" } });
      expect(await listed.json()).toMatchObject([{ id: "api-spec" }]);
      const hidden = await fetch(`${base}/documents/salaries`, { headers: { "x-user-id": "bob" } });
      expect(await hidden.text()).toBe(DOC_NOT_FOUND);
    } finally {
      // npm -> sh -> tsx -> node: stop the server itself (it printed its pid), then npm.
      if (pid) process.kill(pid, "SIGTERM");
      child.kill("SIGTERM");
    }
  }, 60_000);
});
