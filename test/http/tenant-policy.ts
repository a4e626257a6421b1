// tenant-policy.ts: each caller of the authorization service acts for one tenant and may write
// only inside it. Whatever the policy cannot prove from the body and the backend, it denies.
import type { AuthorizationPort, Subject } from "fgac";
import type { AuthorizeInput, WireResource } from "fgac/http";

/** The caller, as `authenticate` proved it: a service acting for one tenant. */
export interface TenantCaller {
  readonly tenant: string;
}

/**
 * `authenticate`: the caller's tenant from its bearer token. `tokenHashes` maps the SHA-256
 * (hex) of each issued token to its tenant: keep the hashes, not the tokens.
 */
export function tenantFromToken(tokenHashes: ReadonlyMap<string, string>) {
  return async (request: Request): Promise<TenantCaller | null> => {
    const token = /^Bearer ([\w.~+/-]{16,512}=*)$/.exec(request.headers.get("authorization") ?? "");
    if (!token?.[1]) return null;
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token[1]));
    const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    const tenant = tokenHashes.get(hex);
    return tenant ? { tenant } : null;
  };
}

/** The kind each kind is registered under: an agent under its tenant, a key under its agent. */
const PARENT_KIND = new Map([
  ["agent", "tenant"],
  ["api_key", "agent"],
]);

/** Relations a tenant's caller may grant or revoke, per kind: the rest is an operator's job. */
const WRITABLE = new Map([
  ["tenant", ["member", "admin"]],
  ["agent", ["owner", "editor", "viewer"]],
  ["api_key", ["owner", "editor", "viewer"]],
]);

/** `authorize`: writes only inside the caller's tenant; principals only people and machines. */
export function tenantScoped(port: AuthorizationPort) {
  /** True only when the backend shows `resource` belongs to `tenant`. */
  async function inTenant(resource: WireResource, tenant: string): Promise<boolean> {
    if (resource.type === "tenant") return resource.selector === tenant;
    if (!PARENT_KIND.has(resource.type)) return false; // a kind no tenant is known for
    // agentexSchema's tenant_gate is "member of the resource's tenant", through the key's agent.
    // The subject set tenant:T#membership is a member of itself, so this holds exactly when
    // the resource hangs under tenant T; absent or parentless resources are never in it.
    return port.check({
      subject: { type: "tenant", id: tenant, relation: "membership" },
      resource: { type: resource.type, id: resource.selector },
      permission: "tenant_gate",
    });
  }

  /** A user or service account (never "*"), or the caller's own tenant's members. */
  function isPrincipal(subject: Subject, tenant: string): boolean {
    if (subject.relation !== undefined) {
      return subject.type === "tenant" && subject.id === tenant && subject.relation === "member";
    }
    return (subject.type === "user" || subject.type === "service_account") && subject.id !== "*";
  }

  return async (input: AuthorizeInput<TenantCaller>): Promise<boolean> => {
    const { tenant } = input.caller;
    switch (input.op) {
      case "check":
      case "search":
        return isPrincipal(input.subject, tenant);
      case "grant":
      case "revoke": {
        // No relation: the service writes its port's owner relation.
        const relation = input.body.relation ?? "owner";
        return (
          (WRITABLE.get(input.body.resource.type) ?? []).includes(relation) &&
          isPrincipal(input.subject, tenant) &&
          (await inTenant(input.body.resource, tenant))
        );
      }
      case "register": {
        // A new resource enters a tenant through its parent, which must already be inside.
        // No parent, nothing places it: denied. An id taken elsewhere is the port's 409.
        const { resource, parent } = input.body;
        return (
          parent != null &&
          PARENT_KIND.get(resource.type) === parent.type &&
          isPrincipal(input.subject, tenant) &&
          input.subject.relation === undefined &&
          (await inTenant(parent, tenant))
        );
      }
      case "deregister":
        return input.body.resource.type !== "tenant" && inTenant(input.body.resource, tenant);
    }
  };
}
