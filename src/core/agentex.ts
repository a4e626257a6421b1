// The agentex reference's resource kinds (agent, apiKey, task, tenant), generated from
// schema/agentex.zed by `fgac generate` (agentex.generated.ts) and given their public types here.
import * as schema from "./agentex.generated.js";
import type { ResourceKind } from "./resources.js";

/**
 * Permissions the agentex reference checks on agents, api keys and tasks (the schema's
 * `tenant_gate` helper is marked `// fgac:internal` and left out).
 *
 * @example
 * ```ts
 * const permission: AgentexPermission = "update";
 * await authz.check(agent("a1"), permission);
 * ```
 */
export type AgentexPermission = "create" | "read" | "update" | "delete" | "execute" | "cancel";

/**
 * The agent kind of the agentex reference: `agent("a1")` is `{ type: "agent", id: "a1" }`; its
 * 404 message is `"Agent not found."`.
 *
 * @example
 * ```ts
 * await authz.register(agent("a1"), { parent: tenant("acme") });
 * ```
 */
export const agent: ResourceKind<"agent", AgentexPermission> = schema.agent;

/**
 * The agent api key kind of the agentex reference: library type `api_key`, schema type
 * `agent_api_key` (`agentexPortOptions.types` maps it); its 404 message is
 * `"Agent api_key not found."`.
 *
 * @example
 * ```ts
 * await authz.checkOrNotFound(apiKey("k1"), "read");
 * ```
 */
export const apiKey: ResourceKind<"api_key", AgentexPermission> = schema.apiKey;

/**
 * The task kind of the agentex reference; its 404 message is `"Task not found."`.
 *
 * @example
 * ```ts
 * await authz.check(task("t1"), "cancel");
 * ```
 */
export const task: ResourceKind<"task", AgentexPermission> = schema.task;

/**
 * The tenant kind: agents are registered under a tenant. Its read permission is `membership`
 * (agentex's tenant has no `read`: its members are who may see it).
 *
 * @example
 * ```ts
 * await authz.checkOrNotFound(tenant("acme"), "create_agent", { collapse: "always" });
 * ```
 */
export const tenant: ResourceKind<"tenant", string> = schema.tenant;

/**
 * The constant 404 message for api keys: `"Agent api_key not found."`.
 *
 * @example
 * ```ts
 * throw new NotFoundError(API_KEY_NOT_FOUND_MESSAGE);
 * ```
 */
export const API_KEY_NOT_FOUND_MESSAGE: string = apiKey.notFoundMessage;
