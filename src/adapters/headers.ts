// The identity headers a trusted gateway sets: the options of every adapter's
// `subjectFromHeaders`, and reading one subject (or none) from the header values.
import { UnauthenticatedError } from "../core/errors.js";
import { isValidId } from "../core/resources.js";
import type { Subject } from "../index.js";

/**
 * Options of `subjectFromHeaders`.
 *
 * @example
 * ```ts
 * subjectFromHeaders({ userHeader: "x-auth-user", serviceAccountHeader: "x-auth-service" });
 * ```
 */
export interface SubjectFromHeadersOptions {
  /** Header carrying a user id (default `x-user-id`). */
  userHeader?: string;
  /** Header carrying a service-account id (default `x-service-account-id`). */
  serviceAccountHeader?: string;
}

/**
 * @internal Reads the subject from gateway headers. Both set, or an invalid id:
 * `UnauthenticatedError`. Neither: `null`.
 */
export function subjectFromHeaderValues(
  get: (name: string) => string | undefined,
  options: SubjectFromHeadersOptions = {},
): Subject | null {
  const userId = get((options.userHeader ?? "x-user-id").toLowerCase());
  const serviceId = get((options.serviceAccountHeader ?? "x-service-account-id").toLowerCase());
  if (userId !== undefined && serviceId !== undefined) throw new UnauthenticatedError();
  const [type, id] =
    userId !== undefined
      ? ["user", userId]
      : serviceId !== undefined
        ? ["service_account", serviceId]
        : [];
  if (type === undefined) return null;
  if (!isValidId(id)) throw new UnauthenticatedError();
  return { type, id };
}

/**
 * @internal Normalises a Node-style header value. Several values are joined as Hono and fetch
 * do (`"a, b"`), which is never a valid id, so a repeated identity header answers 401.
 */
export function singleHeader(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === "string" || value === undefined ? value : value.join(", ");
}
