// The collapse decision (what a denial becomes: 404, 403 or allow), one pure function the
// authorizer and every adapter go through, and collapseToNotFound for hand-written checks.
import { hasFgacCode, NotFoundError } from "./errors.js";

/**
 * What a denial becomes in `checkOrNotFound`:
 * - `"always"`: every denial is a 404;
 * - `"unless-readable"`: a denied non-read permission on a resource the subject can read is a
 *   403, every other denial a 404.
 *
 * @example
 * ```ts
 * const authorizer = createAuthorizer({ port, collapse: "always" });
 * ```
 */
export type CollapsePolicy = "always" | "unless-readable";

/** @internal The read permission of a resource whose kind does not say otherwise. */
export const READ_PERMISSION = "read";

/**
 * @internal The permissions to ask the backend for, in one round trip: the permission itself,
 * and under `"unless-readable"` also the read permission (which decides 403 against 404). A
 * kind without a read permission (`null`) is collapsed as under `"always"`.
 */
export function collapseQuestions(
  policy: CollapsePolicy,
  permission: string,
  readPermission: string | null = READ_PERMISSION,
): string[] {
  return policy === "unless-readable" && readPermission !== null && permission !== readPermission
    ? [permission, readPermission]
    : [permission];
}

/** @internal What the backend said (absent when the id was invalid and nothing was asked). */
export interface CollapseInput {
  policy: CollapsePolicy;
  permission: string;
  /** The kind's read permission (`null`: none; default `"read"`). */
  readPermission?: string | null;
  /** `undefined`: the id is one no backend could hold, so no question was asked. */
  answers: readonly boolean[] | undefined;
}

/** @internal The outcome of a guarded read: allowed, a 403, or the kind's 404. */
export type CollapseOutcome = "allow" | "forbidden" | "not_found";

/**
 * @internal The collapse policy, decided in one place. An invalid id answers exactly like an
 * absent resource; a denial is a 404 unless the policy is `"unless-readable"`, the permission
 * is not the read permission and the subject can read the resource (then 403).
 */
export function decideCollapse(input: CollapseInput): CollapseOutcome {
  const { policy, permission, answers } = input;
  if (answers === undefined) return "not_found";
  const [allowed = false, readable = false] = answers;
  if (allowed) return "allow";
  const questions = collapseQuestions(policy, permission, input.readPermission);
  return questions.length === 2 && readable ? "forbidden" : "not_found";
}

/**
 * Turns a denial into a 404 that looks exactly like an absent resource.
 *
 * `AuthorizationError` becomes `NotFoundError(message)`; every other error (backend outage,
 * a real 404, a bug) propagates unchanged, so an outage is never disguised as "absent".
 *
 * @param opOrPromise - the operation, as a promise or a function returning one
 * @param message - the constant 404 message (e.g. `apiKey.notFoundMessage`); never an id
 * @returns what the operation resolved to
 * @throws {@link NotFoundError} when the operation was denied
 * @example
 * ```ts
 * await collapseToNotFound(authz.check(apiKey(id), "read"), apiKey.notFoundMessage);
 * ```
 */
export async function collapseToNotFound<T>(
  opOrPromise: Promise<T> | (() => Promise<T> | T),
  message: string,
): Promise<T> {
  try {
    return await (typeof opOrPromise === "function" ? opOrPromise() : opOrPromise);
  } catch (error) {
    // hasFgacCode also recognises an AuthorizationError from a duplicate (ESM/CJS) copy.
    if (hasFgacCode(error, "forbidden")) throw new NotFoundError(message);
    throw error;
  }
}
