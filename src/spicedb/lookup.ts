// lookup's two reads: LookupResources streamed for everything a subject can reach, and the
// children of one parent read from the edges pointing at it (bulk checks then decide access).
import { v1 } from "@authzed/authzed-node";
import { AuthorizationUnavailableError } from "../core/errors.js";
import { isValidId } from "../core/resources.js";
import { callSpiceDB } from "./errors.js";
import type { SpiceDBClient } from "./options.js";

/**
 * The ids `LookupResources` answers with a definite permission, the stream cut at `deadlineMs`.
 *
 * @throws the library's error for a failed or timed-out stream
 * @internal
 */
export async function lookupResources(
  client: SpiceDBClient,
  request: v1.LookupResourcesRequest,
  deadlineMs: number,
): Promise<string[]> {
  const ids = await callSpiceDB(
    () =>
      new Promise<Set<string>>((resolve, reject) => {
        const found = new Set<string>();
        const stream = client.lookupResources(request, { deadline: Date.now() + deadlineMs });
        stream.on("data", (r: v1.LookupResourcesResponse) => {
          // Only definite answers; conditional (caveated) results are not access.
          if (r.permissionship === v1.LookupPermissionship.HAS_PERMISSION)
            found.add(r.resourceObjectId);
        });
        stream.on("error", reject);
        stream.on("end", () => resolve(found));
      }),
  );
  return [...ids];
}

/**
 * The ids of the `resourceType` objects whose `relation` points at `parent`, once each: the
 * candidates of a lookup under that parent, not yet checked.
 *
 * @throws `AuthorizationUnavailableError` when SpiceDB answers edges that were not asked for
 * @internal
 */
export async function readChildren(
  client: SpiceDBClient,
  consistency: v1.Consistency,
  resourceType: string,
  relation: string,
  parent: v1.ObjectReference,
): Promise<string[]> {
  const rows = await callSpiceDB(() =>
    client.promises.readRelationships(
      v1.ReadRelationshipsRequest.create({
        consistency,
        relationshipFilter: v1.RelationshipFilter.create({
          resourceType,
          optionalRelation: relation,
          optionalSubjectFilter: v1.SubjectFilter.create({
            subjectType: parent.objectType,
            optionalSubjectId: parent.objectId,
          }),
        }),
      }),
    ),
  );
  if (!Array.isArray(rows)) throw new AuthorizationUnavailableError();
  const children = new Set<string>();
  for (const row of rows) {
    const edge = row?.relationship;
    // Only the edges asked for: anything else means a broken backend, so fail closed.
    if (
      edge?.resource?.objectType !== resourceType ||
      edge.relation !== relation ||
      edge.subject?.object?.objectType !== parent.objectType ||
      edge.subject.object.objectId !== parent.objectId ||
      !isValidId(edge.resource.objectId)
    ) {
      throw new AuthorizationUnavailableError();
    }
    children.add(edge.resource.objectId);
  }
  return [...children];
}
