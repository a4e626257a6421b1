// The docs example's data layer: folders and documents, the same SQL on PGlite (the default)
// or a real Postgres (DATABASE_URL), through the agentex example's SQL client.
import { keysetWhere, type Sql } from "../../shared/db.js";

/** A row of folders. */
export interface FolderRow {
  id: string;
  name: string;
  parent_id: string | null;
  created_at: string;
}

/** A row of documents. */
export interface DocumentRow {
  id: string;
  folder_id: string;
  title: string;
  created_at: string;
}

/** The database the routes use, counting every statement (tests assert "no SQL ran"). */
export interface DocsDb {
  /** Statements run so far. */
  readonly queries: number;
  insertFolder(row: { id: string; name: string; parent_id: string | null }): Promise<FolderRow>;
  getFolder(id: string): Promise<FolderRow | undefined>;
  insertDocument(row: { id: string; folder_id: string; title: string }): Promise<DocumentRow>;
  getDocument(id: string): Promise<DocumentRow | undefined>;
  renameDocument(id: string, title: string): Promise<DocumentRow | undefined>;
  /** Authorized ids pushed into the query: limit and offset apply after the filter. */
  listDocuments(opts: {
    ids: readonly string[] | undefined;
    folderId?: string;
    limit: number;
    offset: number;
  }): Promise<DocumentRow[]>;
  /**
   * Keyset: up to `limit` documents with an id after `after` (from the first when
   * `undefined`), in id order by bytes (`COLLATE "C"`); with `ids`, only those; with
   * `folderId`, only that folder's documents. What `authz.page` reads as its `candidates`.
   */
  documentsAfter(opts: {
    after: string | undefined;
    limit: number;
    ids?: readonly string[] | undefined;
    folderId?: string | undefined;
  }): Promise<DocumentRow[]>;
  deleteDocument(id: string): Promise<boolean>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

const SCHEMA = `
create table if not exists folders (
  id text primary key,
  name text not null,
  parent_id text references folders(id) on delete cascade,
  created_at timestamptz not null default now()
);
create table if not exists documents (
  id text primary key,
  folder_id text not null references folders(id) on delete cascade,
  title text not null,
  created_at timestamptz not null default now()
);
`;

const FOLDER = "id, name, parent_id, created_at::text as created_at";
const DOCUMENT = "id, folder_id, title, created_at::text as created_at";

/** Creates the tables and wraps the client in the routes' data layer. */
export async function createDocsDb(sql: Sql): Promise<DocsDb> {
  for (const statement of SCHEMA.split(";")
    .map((s) => s.trim())
    .filter(Boolean))
    await sql.query(statement);
  let queries = 0;
  const run = <R>(text: string, params?: unknown[]) => {
    queries += 1;
    return sql.query<R>(text, params).then((r) => r.rows);
  };
  const one = async <R>(text: string, params?: unknown[]) => (await run<R>(text, params))[0];
  return {
    get queries() {
      return queries;
    },
    async insertFolder(row) {
      return (await one<FolderRow>(
        `insert into folders (id, name, parent_id) values ($1, $2, $3) returning ${FOLDER}`,
        [row.id, row.name, row.parent_id],
      )) as FolderRow;
    },
    getFolder: (id) => one<FolderRow>(`select ${FOLDER} from folders where id = $1`, [id]),
    async insertDocument(row) {
      return (await one<DocumentRow>(
        `insert into documents (id, folder_id, title) values ($1, $2, $3) returning ${DOCUMENT}`,
        [row.id, row.folder_id, row.title],
      )) as DocumentRow;
    },
    getDocument: (id) => one<DocumentRow>(`select ${DOCUMENT} from documents where id = $1`, [id]),
    renameDocument: (id, title) =>
      one<DocumentRow>(`update documents set title = $2 where id = $1 returning ${DOCUMENT}`, [
        id,
        title,
      ]),
    async listDocuments({ ids, folderId, limit, offset }) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (ids !== undefined) {
        params.push(ids);
        where.push(`id = any($${params.length})`);
      }
      if (folderId !== undefined) {
        params.push(folderId);
        where.push(`folder_id = $${params.length}`);
      }
      params.push(limit, offset);
      const clause = where.length ? `where ${where.join(" and ")}` : "";
      return run<DocumentRow>(
        `select ${DOCUMENT} from documents ${clause} order by created_at, id limit $${params.length - 1} offset $${params.length}`,
        params,
      );
    },
    async documentsAfter({ after, limit, ids, folderId }) {
      const { clause, params } = keysetWhere(after, ids, "folder_id", folderId);
      params.push(limit);
      return run<DocumentRow>(
        `select ${DOCUMENT} from documents ${clause} order by id collate "C" limit $${params.length}`,
        params,
      );
    },
    async deleteDocument(id) {
      return (
        (await run<{ id: string }>("delete from documents where id = $1 returning id", [id]))
          .length > 0
      );
    },
    async reset() {
      await run("delete from documents");
      await run("delete from folders");
    },
    close: () => sql.close(),
  };
}
