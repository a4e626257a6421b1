import { isFgacError, NotFoundError } from "./errors.js";

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
    // isFgacError also recognises an AuthorizationError from a duplicate (ESM/CJS) copy.
    if (isFgacError(error) && error.code === "forbidden") {
      throw new NotFoundError(message);
    }
    throw error;
  }
}
