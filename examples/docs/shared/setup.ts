// Starts what the docs service needs: the database (PGlite or DATABASE_URL), SpiceDB (embedded
// with ../schema.zed, or SPICEDB_ENDPOINT) checked against the generated kinds, and demo data.
import { readFileSync } from "node:fs";
import {
  type AuthorizationPort,
  type Authorizer,
  type CollapsePolicy,
  createAuthorizer,
  type DualWriteOptions,
  type Logger,
} from "fgac";
import {
  type SpiceDBConnection,
  spicedbPort,
  startEmbeddedSpiceDB,
  verifySchema,
} from "fgac/spicedb";
import { openSql } from "../../shared/db.js";
import {
  document,
  folder,
  portOptions,
  resourceKinds,
  serviceAccount,
  subjectKinds,
  user,
} from "../authz.js";
import { createDocsDb, type DocsDb } from "./db.js";

/** The schema the kinds in ../authz.ts are generated from (`npx fgac generate`). */
export const docsSchema: string = readFileSync(new URL("../schema.zed", import.meta.url), "utf8");

/**
 * The demo data. A document's `owner` is the principal that registers it; `null` means none is
 * given: only its folder edge is written, so who may see it follows from the folder alone.
 */
export const DOCS_DEMO = {
  folders: {
    engineering: { name: "Engineering", parent: null, owner: "alice" },
    specs: { name: "Specs", parent: "engineering", owner: "alice" },
    hr: { name: "HR", parent: null, owner: "mallory" },
  },
  /** Viewers of engineering (and so of specs): bob, eve, and the indexer service account. */
  viewers: { engineering: ["user:bob", "user:eve", "service_account:indexer"] },
  /** carol may edit one document and see nothing else. */
  editors: { "api-spec": ["user:carol"] },
  documents: {
    roadmap: { title: "Roadmap", folder: "engineering", owner: "alice" },
    "api-spec": { title: "API spec", folder: "specs", owner: "alice" },
    "eve-notes": { title: "Eve's notes", folder: "engineering", owner: "eve" },
    handbook: { title: "Handbook", folder: "engineering", owner: null },
    salaries: { title: "Salaries", folder: "hr", owner: "mallory" },
  },
} as const;

/** Everything a docs service instance uses. */
export interface DocsDeps {
  db: DocsDb;
  port: AuthorizationPort;
  authorizer: Authorizer;
  dualWrite?: DualWriteOptions;
  close(): Promise<void>;
}

/** Options of {@link startDocsDeps}. */
export interface DocsStartOptions {
  /** Wraps the SpiceDB port (tests inject failures here). */
  wrapPort?: (port: AuthorizationPort) => AuthorizationPort;
  logger?: Logger;
  collapse?: CollapsePolicy;
  /** Reuse a database (tests share one PGlite per file); reset before seeding. */
  db?: DocsDb;
  dualWrite?: DualWriteOptions;
  /** The schema the embedded SpiceDB starts with (default {@link docsSchema}; tests break it). */
  schema?: string;
}

/** `"user:bob"` or `"service_account:indexer"` as a subject. */
const subjectOf = (ref: string) => {
  const [type, id = ""] = ref.split(":");
  return type === "service_account" ? serviceAccount(id) : user(id);
};

/**
 * Starts SpiceDB, checks its schema against the generated kinds (a mismatch stops the start
 * with one error naming every missing type, permission or relation), opens the database and
 * seeds the demo data through the real dual write.
 */
export async function startDocsDeps(options: DocsStartOptions = {}): Promise<DocsDeps> {
  const endpoint = process.env["SPICEDB_ENDPOINT"];
  let connection: SpiceDBConnection;
  let basePort: AuthorizationPort;
  let closeSpiceDB: () => Promise<void>;
  if (endpoint) {
    connection = {
      endpoint,
      token: process.env["SPICEDB_TOKEN"] ?? "",
      insecure: process.env["SPICEDB_INSECURE"] === "true",
    };
    basePort = spicedbPort(connection, portOptions);
    closeSpiceDB = async () => basePort.close?.();
  } else {
    const embedded = await startEmbeddedSpiceDB({
      schema: options.schema ?? docsSchema,
      portOptions,
    });
    connection = { client: embedded.client };
    basePort = embedded.port;
    closeSpiceDB = embedded.close;
  }
  try {
    await verifySchema(connection, {
      resources: resourceKinds,
      subjects: subjectKinds,
      portOptions,
    });
  } catch (error) {
    await closeSpiceDB();
    throw error;
  }
  const ownDb = options.db === undefined;
  const db = options.db ?? (await createDocsDb(await openSql()));
  await db.reset();
  await seed(basePort, db);
  const port = options.wrapPort ? options.wrapPort(basePort) : basePort;
  const authorizer = createAuthorizer({
    port,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.collapse ? { collapse: options.collapse } : {}),
  });
  return {
    db,
    port,
    authorizer,
    ...(options.dualWrite ? { dualWrite: options.dualWrite } : {}),
    async close() {
      await closeSpiceDB();
      if (ownDb) await db.close();
    },
  };
}

async function seed(port: AuthorizationPort, db: DocsDb): Promise<void> {
  const authorizer = createAuthorizer({ port });
  for (const [id, f] of Object.entries(DOCS_DEMO.folders)) {
    const parent = f.parent === null ? {} : { parent: folder(f.parent) };
    await authorizer.forSubject(user(f.owner)).register(folder(id), parent);
    await db.insertFolder({ id, name: f.name, parent_id: f.parent });
  }
  for (const [id, refs] of Object.entries(DOCS_DEMO.viewers))
    for (const ref of refs)
      await port.grant({ subject: subjectOf(ref), resource: folder(id), relation: "viewer" });
  for (const [id, d] of Object.entries(DOCS_DEMO.documents)) {
    if (d.owner !== null) {
      // A principal is given: it registers the document (owner + folder edge, atomically).
      await authorizer.forSubject(user(d.owner)).register(document(id), {
        parent: folder(d.folder),
      });
    } else {
      // None is given: no owner to write, only the folder edge (forSubject(null) would refuse
      // the write with 401: an anonymous caller owns nothing).
      await port.grant({
        subject: { type: folder.type, id: d.folder },
        resource: document(id),
        relation: portOptions.parentRelations.document,
      });
    }
    await db.insertDocument({ id, folder_id: d.folder, title: d.title });
  }
  for (const [id, refs] of Object.entries(DOCS_DEMO.editors))
    for (const ref of refs)
      await port.grant({ subject: subjectOf(ref), resource: document(id), relation: "editor" });
}
