// The examples' data layer: the same SQL on PGlite (in-process Postgres, the default) or on a
// real Postgres through `pg` when DATABASE_URL is set.
import type { PGlite } from "@electric-sql/pglite";
import { agent, ConflictError, type ReconcileRow, type Resource, type Subject, tenant } from "fgac";

/** A row of agents. */
export interface AgentRow {
  id: string;
  name: string;
  tenant_id: string;
  created_at: string;
}

/** A row of agent_api_keys (the secret is only returned on create). */
export interface ApiKeyRow {
  id: string;
  agent_id: string;
  name: string;
  created_at: string;
}

/** Minimal SQL client both drivers fit. */
export interface Sql {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  close(): Promise<void>;
}

/** The database the routes use, counting every statement (tests assert "no SQL ran"). */
export interface Db {
  /** Statements run so far. */
  readonly queries: number;
  /** `owner`: who registered it, kept so that `reconcile` can register it again. */
  insertAgent(row: {
    id: string;
    name: string;
    tenant_id: string;
    owner?: Subject;
  }): Promise<AgentRow>;
  getAgent(id: string): Promise<AgentRow | undefined>;
  /** Whether the row exists now (the dual write asks after a failed insert or delete). */
  agentExists(id: string): Promise<boolean>;
  /** @throws ConflictError (409) when the agent already has a key of that name */
  insertApiKey(row: {
    id: string;
    agent_id: string;
    name: string;
    secret: string;
    owner?: Subject;
  }): Promise<ApiKeyRow>;
  apiKeyExists(id: string): Promise<boolean>;
  getApiKey(id: string): Promise<ApiKeyRow | undefined>;
  getApiKeyByName(agentId: string, name: string): Promise<ApiKeyRow | undefined>;
  /** Authorized ids pushed into the query: limit and offset apply after the filter. */
  listApiKeys(opts: {
    ids: readonly string[] | undefined;
    agentId?: string;
    limit: number;
    offset: number;
  }): Promise<ApiKeyRow[]>;
  /**
   * Keyset: up to `limit` keys with an id after `after` (from the first when `undefined`), in
   * id order by bytes (`COLLATE "C"`); with `ids`, only those (`id = any(...)`); with
   * `agentId`, only that agent's keys. What `authz.page` reads as its `candidates`.
   */
  apiKeysAfter(opts: {
    after: string | undefined;
    limit: number;
    ids?: readonly string[] | undefined;
    agentId?: string | undefined;
  }): Promise<ApiKeyRow[]>;
  deleteApiKey(id: string): Promise<boolean>;
  /**
   * Every agent as `reconcile` reads it (owner, tenant as parent), in id order by bytes, read
   * 500 at a time: memory stays bounded whatever the table's size.
   */
  agentRows(): AsyncGenerator<ReconcileRow>;
  /** Every api key as `reconcile` reads it (owner, agent as parent), as {@link Db.agentRows}. */
  apiKeyRows(): AsyncGenerator<ReconcileRow>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

const SCHEMA = `
create table if not exists agents (
  id text primary key,
  name text not null,
  tenant_id text not null,
  created_at timestamptz not null default now()
);
create table if not exists agent_api_keys (
  id text primary key,
  agent_id text not null references agents(id) on delete cascade,
  name text not null,
  api_key text not null,
  created_at timestamptz not null default now(),
  unique (agent_id, name)
);
alter table agents add column if not exists owner_type text;
alter table agents add column if not exists owner_id text;
alter table agent_api_keys add column if not exists owner_type text;
alter table agent_api_keys add column if not exists owner_id text
`;

/** Rows `reconcile` reads per query. */
const RECONCILE_BATCH = 500;

/** The owner columns of a row (null when it was created without one). */
const ownerColumns = (owner: Subject | undefined) => [owner?.type ?? null, owner?.id ?? null];

interface OwnedRow {
  id: string;
  parent_id: string;
  owner_type: string | null;
  owner_id: string | null;
}

/** A row as `reconcile` reads it; the parent through `parentOf`, the owner when kept. */
function reconcileRow(row: OwnedRow, parentOf: (id: string) => Resource): ReconcileRow {
  return {
    id: row.id,
    parent: parentOf(row.parent_id),
    ...(row.owner_type && row.owner_id
      ? { owner: { type: row.owner_type, id: row.owner_id } }
      : {}),
  };
}

const KEY_COLUMNS = "id, agent_id, name, created_at::text as created_at";

/** The 409 for a key name its agent already has: a constant, naming neither. */
export const KEY_NAME_TAKEN = "An api key with this name already exists for this agent.";

/** Postgres's unique_violation (both drivers expose the SQLSTATE as `code`). */
function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "23505";
}

/** Opens the database: `pg` when `DATABASE_URL` is set, PGlite otherwise. */
export async function openSql(databaseUrl = process.env["DATABASE_URL"]): Promise<Sql> {
  if (databaseUrl) {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: databaseUrl });
    return {
      query: async <R>(text: string, params?: unknown[]) => ({
        rows: (await pool.query(text, params)).rows as R[],
      }),
      close: () => pool.end(),
    };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  return pgliteSql(await PGlite.create());
}

/** The minimal SQL client over a PGlite instance (closing it closes the instance). */
export function pgliteSql(pglite: PGlite): Sql {
  return {
    query: async <R>(text: string, params?: unknown[]) => ({
      rows: (await pglite.query<R>(text, params)).rows,
    }),
    close: () => pglite.close(),
  };
}

/** Creates the tables and wraps the client in the routes' data layer. */
export async function createDb(sql: Sql): Promise<Db> {
  for (const statement of SCHEMA.split(";")
    .map((s) => s.trim())
    .filter(Boolean))
    await sql.query(statement);
  let queries = 0;
  const run = <R>(text: string, params?: unknown[]) => {
    queries += 1;
    return sql.query<R>(text, params).then((r) => r.rows);
  };
  return {
    get queries() {
      return queries;
    },
    async insertAgent(row) {
      const [inserted] = await run<AgentRow>(
        "insert into agents (id, name, tenant_id, owner_type, owner_id) values ($1, $2, $3, $4, $5) returning id, name, tenant_id, created_at::text as created_at",
        [row.id, row.name, row.tenant_id, ...ownerColumns(row.owner)],
      );
      return inserted as AgentRow;
    },
    async agentExists(id) {
      return (await run("select 1 from agents where id = $1", [id])).length > 0;
    },
    async apiKeyExists(id) {
      return (await run("select 1 from agent_api_keys where id = $1", [id])).length > 0;
    },
    async getAgent(id) {
      const [found] = await run<AgentRow>(
        "select id, name, tenant_id, created_at::text as created_at from agents where id = $1",
        [id],
      );
      return found;
    },
    async insertApiKey(row) {
      try {
        const [key] = await run<ApiKeyRow>(
          `insert into agent_api_keys (id, agent_id, name, api_key, owner_type, owner_id) values ($1, $2, $3, $4, $5, $6) returning ${KEY_COLUMNS}`,
          [row.id, row.agent_id, row.name, row.secret, ...ownerColumns(row.owner)],
        );
        return key as ApiKeyRow;
      } catch (error) {
        // The (agent_id, name) constraint: the client's conflict, not a server error.
        if (isUniqueViolation(error)) throw new ConflictError(KEY_NAME_TAKEN, { cause: error });
        throw error;
      }
    },
    async getApiKey(id) {
      const [key] = await run<ApiKeyRow>(
        `select ${KEY_COLUMNS} from agent_api_keys where id = $1`,
        [id],
      );
      return key;
    },
    async getApiKeyByName(agentId, name) {
      const [key] = await run<ApiKeyRow>(
        `select ${KEY_COLUMNS} from agent_api_keys where agent_id = $1 and name = $2`,
        [agentId, name],
      );
      return key;
    },
    async listApiKeys({ ids, agentId, limit, offset }) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (ids !== undefined) {
        params.push(ids);
        where.push(`id = any($${params.length})`);
      }
      if (agentId !== undefined) {
        params.push(agentId);
        where.push(`agent_id = $${params.length}`);
      }
      params.push(limit, offset);
      const clause = where.length ? `where ${where.join(" and ")}` : "";
      return run<ApiKeyRow>(
        `select ${KEY_COLUMNS} from agent_api_keys ${clause} order by created_at, id limit $${params.length - 1} offset $${params.length}`,
        params,
      );
    },
    async apiKeysAfter({ after, limit, ids, agentId }) {
      const { clause, params } = keysetWhere(after, ids, "agent_id", agentId);
      params.push(limit);
      return run<ApiKeyRow>(
        `select ${KEY_COLUMNS} from agent_api_keys ${clause} order by id collate "C" limit $${params.length}`,
        params,
      );
    },
    async deleteApiKey(id) {
      const rows = await run<{ id: string }>(
        "delete from agent_api_keys where id = $1 returning id",
        [id],
      );
      return rows.length > 0;
    },
    async *agentRows() {
      yield* keyset(run, "agents", "tenant_id", (id) => tenant(id));
    },
    async *apiKeyRows() {
      yield* keyset(run, "agent_api_keys", "agent_id", (id) => agent(id));
    },
    async reset() {
      await run("delete from agent_api_keys");
      await run("delete from agents");
    },
    close: () => sql.close(),
  };
}

/**
 * The `where` of a keyset query in id order by bytes: ids after `after` (compared as bytes,
 * as the query orders), only `ids` when given, only the children of `parentId` when given.
 * The parameters are numbered from `$1`; the caller appends its own after them.
 */
export function keysetWhere(
  after: string | undefined,
  ids: readonly string[] | undefined,
  parentColumn: "agent_id" | "folder_id",
  parentId: string | undefined,
): { clause: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (after !== undefined) {
    params.push(after);
    where.push(`id > $${params.length} collate "C"`);
  }
  if (ids !== undefined) {
    params.push(ids);
    where.push(`id = any($${params.length})`);
  }
  if (parentId !== undefined) {
    params.push(parentId);
    where.push(`${parentColumn} = $${params.length}`);
  }
  return { clause: where.length ? `where ${where.join(" and ")}` : "", params };
}

/**
 * The rows of `table` in id order by bytes (`COLLATE "C"`, the order `reconcile` merges in),
 * a batch at a time after the last id seen.
 */
async function* keyset(
  run: <R>(text: string, params?: unknown[]) => Promise<R[]>,
  table: "agents" | "agent_api_keys",
  parentColumn: "tenant_id" | "agent_id",
  parentOf: (id: string) => Resource,
): AsyncGenerator<ReconcileRow> {
  let after: string | null = null;
  for (;;) {
    const rows: OwnedRow[] = await run<OwnedRow>(
      `select id, ${parentColumn} as parent_id, owner_type, owner_id from ${table}
       where $1::text is null or id collate "C" > $1::text
       order by id collate "C" limit ${RECONCILE_BATCH}`,
      [after],
    );
    for (const row of rows) yield reconcileRow(row, parentOf);
    const last = rows[rows.length - 1];
    if (rows.length < RECONCILE_BATCH || last === undefined) return;
    after = last.id;
  }
}
