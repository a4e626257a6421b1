// The agentex api-key routes as plain functions of (authorizer, input): each framework's app
// only parses the request, calls one of these and serialises the answer.
import { randomBytes, randomUUID } from "node:crypto";
import {
  API_KEY_NOT_FOUND_MESSAGE,
  agent,
  apiKey,
  type Candidates,
  createRegistered,
  type DualWriteOptions,
  deleteDeregistered,
  FgacError,
  findOrNotFound,
  NotFoundError,
  type Page,
  type PageRow,
  type PermissionOf,
  type RequestAuthorizer,
  type Resource,
  type ResourceKind,
  type Subject,
  tenant,
  withAuthorizedIds,
} from "fgac";
import { z } from "zod";
import type { AgentRow, ApiKeyRow, Db } from "./db.js";

/** A 400 for request bodies and queries that fail validation (user code can extend FgacError). */
export class BadRequestError extends FgacError {
  override readonly name = "BadRequestError" as const;
  readonly code = "bad_request" as const;
  readonly status = 400 as const;
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((i) => i.path.join(".") || "body"))].join(
      ", ",
    );
    throw new BadRequestError(`Invalid request: ${fields}.`);
  }
  return result.data;
}

/**
 * Text a client may send: no control character (Postgres refuses NUL, logs and terminals
 * misread the others) and no lone surrogate (not storable as UTF-8). Refused with 400.
 */
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !/[\p{Cc}\p{Cs}]/u.test(s));

const createAgentBody = z.object({ name: text(255), tenant_id: text(1024) });
const createKeyBody = z.object({ agent_id: text(2048), name: text(255) });
const listQuery = z
  .object({
    agent_id: text(2048).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    // Absent is page 1; given with `after`, ambiguous (400).
    page_number: z.coerce.number().int().min(1).max(1_000_000).optional(),
    // Keyset paging: "" asks for the first page, otherwise the previous page's cursor.
    after: z.union([z.literal(""), text(2048)]).optional(),
  })
  .refine((q) => q.after === undefined || q.page_number === undefined, {
    path: ["page_number"],
  });
const nameQuery = z.object({ agent_id: text(2048).optional() });
const nameParam = z.object({ name: text(255) });

/** What the routes need. */
export interface ServiceDeps {
  db: Db;
  dualWrite?: DualWriteOptions;
}

/**
 * POST /agents: the caller must be able to create agents in the tenant. The row keeps its
 * owner (the caller) and parent (the tenant): what `npm run reconcile` needs to register it
 * again; `exists` lets the dual write tell whether a failed insert landed anyway.
 */
export async function createAgent(
  deps: ServiceDeps,
  authz: RequestAuthorizer,
  body: unknown,
  owner: Subject | null,
): Promise<AgentRow> {
  const input = parse(createAgentBody, body);
  if (!tenant.isValidId(input.tenant_id)) throw new NotFoundError(tenant.notFoundMessage);
  await authz.checkOrNotFound(tenant(input.tenant_id), "create_agent", { collapse: "always" });
  const id = randomUUID();
  return createRegistered(
    authz,
    { resource: agent(id), parent: tenant(input.tenant_id) },
    () =>
      deps.db.insertAgent({
        id,
        name: input.name,
        tenant_id: input.tenant_id,
        ...(owner ? { owner } : {}),
      }),
    { exists: () => deps.db.agentExists(id), ...deps.dualWrite },
  );
}

/** GET /agents/:id (the route guards read on the id first). */
export async function getAgent(deps: ServiceDeps, id: string): Promise<AgentRow> {
  const row = await deps.db.getAgent(id);
  if (!row) throw new NotFoundError(agent.notFoundMessage);
  return row;
}

/**
 * POST /agent_api_keys: the key does not exist yet, so check update on the parent agent. The
 * row keeps its owner and parent, as {@link createAgent}'s does.
 */
export async function createApiKey(
  deps: ServiceDeps,
  authz: RequestAuthorizer,
  body: unknown,
  owner: Subject | null,
): Promise<ApiKeyRow & { api_key: string }> {
  const input = parse(createKeyBody, body);
  if (!agent.isValidId(input.agent_id)) throw new NotFoundError(agent.notFoundMessage);
  await authz.checkOrNotFound(agent(input.agent_id), "update");
  const id = randomUUID();
  const secret = `agx_${randomBytes(24).toString("base64url")}`;
  const row = await createRegistered(
    authz,
    { resource: apiKey(id), parent: agent(input.agent_id) },
    () =>
      deps.db.insertApiKey({
        id,
        agent_id: input.agent_id,
        name: input.name,
        secret,
        ...(owner ? { owner } : {}),
      }),
    { exists: () => deps.db.apiKeyExists(id), ...deps.dualWrite },
  );
  return { ...row, api_key: secret };
}

/**
 * GET /agent_api_keys: authorized ids pushed into the SQL; [] answers [] without SQL. With
 * `agent_id`, the lookup is scoped to that agent's keys, so its cost and the SQL's id list
 * follow one agent, not every key the caller can read. `limit` and `page_number` page by
 * offset after the filter.
 *
 * With `after` (keyset paging, instead of `page_number`: both are a 400): one page by
 * `authz.page`, over the keys in id order by bytes (`after=` for the first page, then the
 * previous page's `next`, sealed by the authorizer: it names no row); `next` is set while more
 * pages follow (a page may be short). With `agent_id`, only that agent's keys are read and
 * checked ({@link keysetPage}).
 */
export async function listApiKeys(
  deps: ServiceDeps,
  authz: RequestAuthorizer,
  query: unknown,
): Promise<Page<ApiKeyRow>> {
  const input = parse(listQuery, query);
  const agentId = input.agent_id;
  if (agentId !== undefined && !agent.isValidId(agentId)) return { items: [] };
  if (input.after !== undefined) {
    const parent =
      agentId === undefined ? undefined : { resource: agent(agentId), permission: "read" as const };
    return keysetPage(authz, apiKey, "read", parent, {
      limit: input.limit,
      after: input.after,
      candidates: (after, limit, filter) =>
        deps.db.apiKeysAfter({ after, limit, ids: filter?.ids, agentId }),
    });
  }
  const ids = await authz.authorizedIds(
    apiKey,
    "read",
    agentId !== undefined ? { parent: agent(agentId) } : {},
  );
  const items = await withAuthorizedIds(ids, (ids) =>
    deps.db.listApiKeys({
      ids,
      ...(agentId !== undefined ? { agentId } : {}),
      limit: input.limit,
      offset: ((input.page_number ?? 1) - 1) * input.limit,
    }),
  );
  return { items };
}

/**
 * One keyset page of `kind` rows the caller has `permission` on, by `authz.page`: `after` is ""
 * for the first page, else a `next` the authorizer sealed. Under `parent`, the parent's
 * visibility first ({@link sees}: a hidden parent lists nothing, ending when an absent one
 * would, as the scoped lookup does), then only its rows are read and checked: checking costs
 * what the parent holds, where a lookup would list every row the caller can read.
 */
export async function keysetPage<K extends ResourceKind, P extends Resource, Row extends PageRow>(
  authz: RequestAuthorizer,
  kind: K,
  permission: K extends ResourceKind<string, infer Q> ? Q : string,
  parent: { resource: P; permission: PermissionOf<P> } | undefined,
  options: { limit: number; after: string; candidates: Candidates<Row> },
): Promise<Page<Row>> {
  if (parent !== undefined && !(await sees(authz, parent.resource, parent.permission))) {
    return { items: [] };
  }
  return authz.page(kind, permission, {
    limit: options.limit,
    ...(options.after ? { after: options.after } : {}),
    ...(parent !== undefined ? { strategy: "check" as const } : {}),
    candidates: options.candidates,
  });
}

/**
 * Whether the caller may see `parent` (its kind's read permission), for a list scoped to it: a
 * hidden parent answers `false` after the same time as an absent one (the authorizer's denial
 * floor), as `authorizedIds(..., { parent })` does, so that a keyset page never reads, and
 * times, the children of a parent the caller cannot see.
 */
async function sees<R extends Resource>(
  authz: RequestAuthorizer,
  parent: R,
  readPermission: PermissionOf<R>,
): Promise<boolean> {
  try {
    await authz.checkOrNotFound(parent, readPermission, { collapse: "always" });
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

/**
 * Resolves a key by name and checks `permission` on its id (`findOrNotFound`): an absent row
 * checks a placeholder id instead, so absent and hidden do the same work and answer the same
 * 404 after the same time (the authorizer's floor).
 */
async function resolveByName(
  deps: ServiceDeps,
  authz: RequestAuthorizer,
  name: string,
  query: unknown,
  permission: "read" | "delete",
): Promise<ApiKeyRow> {
  parse(nameParam, { name });
  const { agent_id: agentId } = parse(nameQuery, query);
  // Absent, unknown agent, invalid agent id: all the same identifier-free 404.
  return findOrNotFound(authz, apiKey, permission, () =>
    agentId !== undefined && agent.isValidId(agentId)
      ? deps.db.getApiKeyByName(agentId, name)
      : undefined,
  );
}

/** GET /agent_api_keys/name/:name?agent_id=: look up, then check read on the row's id. */
export async function getApiKeyByName(
  deps: ServiceDeps,
  authz: RequestAuthorizer,
  name: string,
  query: unknown,
): Promise<ApiKeyRow> {
  return resolveByName(deps, authz, name, query, "read");
}

/** GET /agent_api_keys/:id (the route guards read on the id first). */
export async function getApiKey(deps: ServiceDeps, id: string): Promise<ApiKeyRow> {
  const row = await deps.db.getApiKey(id);
  if (!row) throw new NotFoundError(API_KEY_NOT_FOUND_MESSAGE);
  return row;
}

/** DELETE /agent_api_keys/:id (the route guards delete on the id first). */
export async function deleteApiKey(
  deps: ServiceDeps,
  authz: RequestAuthorizer,
  id: string,
): Promise<{ id: string; deleted: boolean }> {
  const deleted = await deleteDeregistered(authz, apiKey(id), () => deps.db.deleteApiKey(id), {
    exists: () => deps.db.apiKeyExists(id),
    ...deps.dualWrite,
  });
  return { id, deleted };
}

/** DELETE /agent_api_keys/name/:name?agent_id=: resolve, check delete on that id, delete BY THAT ID. */
export async function deleteApiKeyByName(
  deps: ServiceDeps,
  authz: RequestAuthorizer,
  name: string,
  query: unknown,
): Promise<{ id: string; deleted: boolean }> {
  const row = await resolveByName(deps, authz, name, query, "delete");
  return deleteApiKey(deps, authz, row.id);
}
