// findOrNotFound: "look the row up, then check it" for routes that resolve a name (or any other
// key) to an id, doing the same work and answering the same 404 whether the row is absent or hidden.
import type { CollapsePolicy } from "./collapse.js";
import { hasFgacCode, NotFoundError } from "./errors.js";
import type { RequestAuthorizer } from "./request-authorizer.js";
import type { PermissionOf, Resource, ResourceKind } from "./resources.js";

/**
 * The id checked when no row was found: a valid id of the kind that is never registered, so
 * the check is denied like a hidden resource's. Do not use it as a real id.
 *
 * @example
 * ```ts
 * if (id === PLACEHOLDER_ID) throw new Error("reserved id");
 * ```
 */
export const PLACEHOLDER_ID = "fgac_placeholder_absent";

/**
 * Options of {@link findOrNotFound}.
 *
 * @example
 * ```ts
 * const row = await findOrNotFound(authz, apiKey, "delete", () => db.byName(name), {
 *   id: (row) => row.id,
 * });
 * ```
 */
export interface FindOrNotFoundOptions<T> {
  /** The row's id (default: its `id` property). */
  id?: (row: T) => string;
  /** The 404 message; default the kind's `notFoundMessage`. Must not contain identifiers. */
  message?: string;
  /** Overrides the authorizer's collapse policy for the check of a found row. */
  collapse?: CollapsePolicy;
}

/**
 * Looks a row up, then checks `permission` on its id: the by-name route's shape. When there
 * is no row it still checks, a placeholder id of the same kind, so an absent row costs the same
 * backend call as a hidden one, and both end in the same 404. The authorizer's timing floor
 * counts from before the lookup (`startedAt`), so whether a row was found does not show in the
 * time either. A found row the subject may not see is that same 404; under
 * `"unless-readable"`, a found row it can read but not `permission` is a 403.
 *
 * @param authz - the request's authorizer
 * @param kind - the row's kind, e.g. `apiKey`: builds the resource and names the 404 message
 * @param permission - the permission to check on the row, e.g. `"read"`
 * @param find - the lookup, e.g. by name; `null` or `undefined` when there is no row
 * @param options - `id` (default `row.id`), `message`, `collapse`
 * @returns the row, when allowed
 * @throws {@link NotFoundError} with the kind's constant message when absent or hidden
 * @throws `AuthorizationError` (403) for a readable row under `"unless-readable"`
 * @throws `AuthorizationUnavailableError` when the backend fails; what `find` throws
 * @example
 * ```ts
 * const row = await findOrNotFound(authz, apiKey, "read", () =>
 *   db.getApiKeyByName(agentId, name),
 * );
 * ```
 */
export async function findOrNotFound<K extends ResourceKind, T>(
  authz: RequestAuthorizer,
  kind: K,
  permission: PermissionOf<ReturnType<K>>,
  find: () => Promise<T | null | undefined> | T | null | undefined,
  options: FindOrNotFoundOptions<T> = {},
): Promise<T> {
  // The floor counts from before the lookup: finding a row or not takes different times too.
  const startedAt = performance.now();
  const message = options.message ?? kind.notFoundMessage;
  const collapse = options.collapse ? { collapse: options.collapse } : {};
  const check = { message, startedAt, ...collapse };
  const row = await find();
  if (row === null || row === undefined) {
    try {
      await authz.checkOrNotFound(kind(PLACEHOLDER_ID), permission, check);
    } catch (error) {
      // A 403 would say "it exists": an absent row is a 404, whatever the placeholder's answer.
      if (!hasFgacCode(error, "not_found") && !hasFgacCode(error, "forbidden")) throw error;
    }
    throw new NotFoundError(message);
  }
  const id = options.id ? options.id(row) : (row as { id?: unknown }).id;
  // An id the kind rejects goes to the core as it is: the core answers it with the same 404.
  const resource = kind.isValidId(id) ? kind(id) : ({ type: kind.type, id } as Resource);
  await authz.checkOrNotFound(resource, permission as PermissionOf<Resource>, check);
  return row;
}
