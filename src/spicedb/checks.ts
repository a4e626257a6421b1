// Bulk checks: CheckBulkPermissions in chunks under one consistency and one abort signal, each
// answer matched to the question asked at its position (anything else fails closed).
import { v1 } from "@authzed/authzed-node";
import { AuthorizationUnavailableError } from "../core/errors.js";
import type { SpiceDBCalls } from "./calls.js";
import { bulkAnswer, type CheckItem } from "./mapping.js";

/**
 * One answer per item, in order, from `CheckBulkPermissions` calls of at most `chunkSize` items.
 *
 * @throws `AuthorizationUnavailableError` for an answer that is not one per question, in order
 * @internal
 */
export async function checkBulk(
  calls: SpiceDBCalls,
  items: readonly CheckItem[],
  consistency: v1.Consistency,
  chunkSize: number,
  signal: AbortSignal | undefined,
): Promise<boolean[]> {
  const results: boolean[] = [];
  for (let start = 0; start < items.length; start += chunkSize) {
    const chunk = items.slice(start, start + chunkSize);
    const response = await calls.unary(
      "checkBulkPermissions",
      v1.CheckBulkPermissionsRequest.create({
        consistency,
        items: chunk.map((i) => v1.CheckBulkPermissionsRequestItem.create(i)),
      }),
      signal,
    );
    const pairs = response?.pairs;
    if (!Array.isArray(pairs) || pairs.length !== chunk.length) {
      throw new AuthorizationUnavailableError();
    }
    pairs.forEach((pair, i) => {
      results.push(bulkAnswer(pair, chunk[i]));
    });
  }
  return results;
}
