// agentexPrincipal: agentex's opaque principal (whatever its authentication service answered,
// `{ user_id, account_id, ... }`) read as the library's subject, a user or a service account.
import * as z from "zod/mini";
import { parseOptions } from "../core/options.js";
import { isValidId, isValidTypeName, type Subject } from "../core/resources.js";

/**
 * Options of {@link agentexPrincipal}: which fields name whom, and the subject types they map to.
 *
 * @example
 * ```ts
 * // An identity provider that answers { sub, client_id }:
 * const options: AgentexPrincipalOptions = { userField: "sub", serviceAccountField: "client_id" };
 * const subject = agentexPrincipal(options);
 * ```
 */
export interface AgentexPrincipalOptions {
  /** The field holding a user's id (default `"user_id"`). */
  userField?: string;
  /** The field holding a service account's id (default `"service_account_id"`). */
  serviceAccountField?: string;
  /**
   * The field that, when present and not `null`, says which of the two the principal is:
   * `"user"` or `"service_account"` (default `"principal_type"`, as agentex stores a schedule's
   * creator).
   */
  kindField?: string;
  /** The subject type of a user (default `"user"`). */
  userType?: string;
  /** The subject type of a service account (default `"service_account"`). */
  serviceAccountType?: string;
}

const field = z.string().check(z.minLength(1));
const typeName = z.string().check(z.refine(isValidTypeName, "must be a type name"));
const optionsSchema = z.strictObject({
  userField: z.optional(field),
  serviceAccountField: z.optional(field),
  kindField: z.optional(field),
  userType: z.optional(typeName),
  serviceAccountType: z.optional(typeName),
});

/** A principal that names nobody, or names two at once: the handler answers 400. */
class UnmappablePrincipal extends Error {
  override readonly name = "UnmappablePrincipal";
}

/**
 * Reads agentex's principal as a subject, for `createAuthzHandler`'s `subject` option. agentex
 * passes on, unchanged, whatever its authentication service answered: a JSON object such as
 * `{ "user_id": "u1", "account_id": "acme", "service_account_id": null, "metadata": {} }`.
 *
 * - `kindField` (`principal_type`) present and not null: `"user"` takes the id from
 *   `userField`, `"service_account"` from `serviceAccountField`; any other value is refused.
 * - Otherwise exactly one of `userField` (`user_id`) and `serviceAccountField`
 *   (`service_account_id`) must hold an id (`null` counts as absent): a user or a service
 *   account. Both at once is ambiguous and refused; neither names nobody and is refused.
 * - The id must be a valid object id. Every other field (`account_id`, `metadata`, an api key)
 *   is ignored here: read the tenant in `typeLevel` or `defaultParent`, which get the principal.
 *
 * A refused principal throws, which the handler answers with a 400 naming the field
 * `principal` (never its value). Only own fields are read.
 *
 * @param options - field names and subject types, each with agentex's default
 * @returns the mapping, `(principal: unknown) => Subject`
 * @throws `ConfigurationError` for invalid options
 * @example
 * ```ts
 * const handler = createAuthzHandler(port, {
 *   authenticate: "none", // behind a private network only: agentex sends no credentials
 *   subject: agentexPrincipal(),
 * });
 * agentexPrincipal()({ user_id: "u1", account_id: "acme" }); // { type: "user", id: "u1" }
 * ```
 */
export function agentexPrincipal(
  options: AgentexPrincipalOptions = {},
): (principal: unknown) => Subject {
  parseOptions("agentexPrincipal", optionsSchema, options);
  const userField = options.userField ?? "user_id";
  const serviceAccountField = options.serviceAccountField ?? "service_account_id";
  const kindField = options.kindField ?? "principal_type";
  const userType = options.userType ?? "user";
  const serviceAccountType = options.serviceAccountType ?? "service_account";

  return (principal: unknown): Subject => {
    if (typeof principal !== "object" || principal === null || Array.isArray(principal)) {
      throw new UnmappablePrincipal();
    }
    /** An own field's value; `null` and absent are the same: nothing there. */
    const read = (name: string): unknown => {
      const value = Object.hasOwn(principal, name)
        ? (principal as Record<string, unknown>)[name]
        : undefined;
      return value ?? undefined;
    };
    const subject = (type: string, id: unknown): Subject => {
      if (!isValidId(id)) throw new UnmappablePrincipal();
      return { type, id };
    };
    const kind = read(kindField);
    if (kind === "user") return subject(userType, read(userField));
    if (kind === "service_account") return subject(serviceAccountType, read(serviceAccountField));
    if (kind !== undefined) throw new UnmappablePrincipal();
    const userId = read(userField);
    const serviceAccountId = read(serviceAccountField);
    if (userId !== undefined && serviceAccountId !== undefined) throw new UnmappablePrincipal();
    if (userId !== undefined) return subject(userType, userId);
    return subject(serviceAccountType, serviceAccountId);
  };
}
