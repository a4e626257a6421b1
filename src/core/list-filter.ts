// withAuthorizedIds: a list query filtered by the authorized ids pushed into the query,
// where an empty list short-circuits without running it.
/**
 * Runs a list query filtered to the authorized ids, pushed into the query itself so that
 * limit and offset apply after the filter and pagination stays correct.
 *
 * - `ids === null` (unscoped, e.g. a bypass): `query(undefined)`, no filter;
 * - `ids` empty: returns `empty` (default `[]`) WITHOUT calling `query`: an empty `IN ()`
 *   filter is dropped by many query builders and would return every row;
 * - otherwise `query(ids)`.
 *
 * @param ids - from `authz.authorizedIds(...)`
 * @param query - runs the database query, filtered by `ids` when given
 * @param empty - the result for "sees nothing"
 * @example
 * ```ts
 * const ids = await authz.authorizedIds(apiKey, "read");
 * const rows = await withAuthorizedIds(ids, (ids) =>
 *   ids ? sql`select * from keys where id = any(${ids}) limit 50` : sql`select * from keys limit 50`);
 * ```
 */
export async function withAuthorizedIds<T, E = T extends readonly unknown[] ? T : never>(
  ids: readonly string[] | null,
  query: (ids: readonly string[] | undefined) => Promise<T> | T,
  empty?: E,
): Promise<T | E> {
  if (ids === null) return query(undefined);
  if (!Array.isArray(ids)) throw new TypeError("withAuthorizedIds: ids must be an array or null");
  if (ids.length === 0) return (empty === undefined ? [] : empty) as E;
  return query(ids);
}
