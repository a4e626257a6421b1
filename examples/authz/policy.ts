// The agentex-specific decisions of the authorization service: the tenant a principal acts in,
// type-level creates, the parent of a parentless register, and which requests agentex may send.
import type { AuthorizationPort, Resource } from "fgac";
import type { AuthorizeInput, DefaultParentInput, TypeLevelInput } from "fgac/http";

/** The kinds agentex names on the wire, and the parent kind each is registered under. */
const PARENTS: ReadonlyMap<string, string | null> = new Map([
  ["agent", null], // agentex sends none: defaultParent puts it in the principal's tenant
  ["task", "agent"],
  ["api_key", "agent"],
  ["schedule", "agent"],
]);

/**
 * Type-level creates agentex checks, and the tenant permission that decides each. A task create
 * names no agent on the wire; the route has already checked `execute` on it.
 */
const TYPE_LEVEL: ReadonlyMap<string, string> = new Map([
  ["agent create", "create_agent"],
  ["task create", "create_task"],
]);

/** The tenant the principal acts in: agentex's `account_id`, when it is a string. */
export function tenantOf(principal: unknown): Resource<"tenant"> | undefined {
  if (typeof principal !== "object" || principal === null) return undefined;
  const account = Object.hasOwn(principal, "account_id")
    ? (principal as { account_id?: unknown }).account_id
    : undefined;
  return typeof account === "string" ? { type: "tenant", id: account } : undefined;
}

/**
 * `typeLevel`: "may this principal create agents (tasks)?" is `create_agent` (`create_task`)
 * on its tenant. Any other type-level question, or no tenant: no.
 */
export function agentexTypeLevel(port: AuthorizationPort) {
  return async ({ principal, subject, resourceType, operation }: TypeLevelInput) => {
    const permission = TYPE_LEVEL.get(`${resourceType} ${operation}`);
    const tenant = tenantOf(principal);
    if (!permission || !tenant) return false;
    return port.check({ subject, resource: tenant, permission });
  };
}

/** `defaultParent`: an agent goes into the principal's tenant; nothing else is placed. */
export function agentexDefaultParent({ principal, resource }: DefaultParentInput) {
  return resource.type === "agent" ? tenantOf(principal) : undefined;
}

/**
 * `authorize`: only what agentex sends. Its kinds, each under its own parent kind; grants and
 * revokes of ownership only (agentex sends no relation); deregister of its kinds only. Whoever
 * reaches the service could otherwise write any edge (tenants' admins, say).
 */
export function agentexOnly(input: AuthorizeInput): boolean {
  const kind = input.op === "search" ? input.body.filter_resource : input.body.resource.type;
  if (!PARENTS.has(kind)) return false;
  switch (input.op) {
    case "check":
    case "search":
    case "deregister":
      return true;
    case "grant":
    case "revoke":
      return input.body.relation === undefined;
    case "register": {
      const { parent } = input.body;
      return (parent?.type ?? null) === PARENTS.get(kind);
    }
  }
}
