// lookup: LookupResources streamed for everything a subject can reach (capped, cancelled when
// abandoned), and under a parent its children read in bounded pages, then checked in bulk.
import { v1 } from "@authzed/authzed-node";
import { AuthorizationUnavailableError, ConfigurationError } from "../core/errors.js";
import type { LookupRequest } from "../core/port.js";
import { assertResource, isValidId, type Resource } from "../core/resources.js";
import type { SpiceDBCalls } from "./calls.js";
import { checkBulk } from "./checks.js";
import type { CheckItem, Mapping } from "./mapping.js";

/**
 * The bounds of one port's lookups.
 *
 * @internal
 */
export interface LookupLimits {
  /** gRPC deadline of a `LookupResources` stream, in ms. */
  deadlineMs: number;
  /** Most ids one `LookupResources` may answer (`maxLookupIds`). */
  maxIds: number;
  /** Most children of one parent read (`maxParentChildren`). */
  maxChildren: number;
  /** Items per `CheckBulkPermissions` call. */
  chunkSize: number;
}

/**
 * The lookups of one port.
 *
 * @internal
 */
export class Lookups {
  constructor(
    private readonly calls: SpiceDBCalls,
    private readonly map: Mapping,
    private readonly limits: LookupLimits,
  ) {}

  /** Every id of `req.resourceType` the subject may `req.permission`, at most `maxIds`. */
  all(
    req: LookupRequest,
    consistency: v1.Consistency,
    signal: AbortSignal | undefined,
  ): Promise<string[]> {
    const request = v1.LookupResourcesRequest.create({
      consistency,
      resourceObjectType: this.map.typeOf(req.resourceType),
      permission: req.permission,
      subject: this.map.subject(req.subject),
    });
    return lookupResources(this.calls, request, this.limits, signal);
  }

  /** {@link Lookups.all} for a parent past `maxChildren`, whose refusal says which caps met. */
  private allOf(
    req: LookupRequest,
    consistency: v1.Consistency,
    signal: AbortSignal | undefined,
  ): Promise<string[]> {
    return this.all(req, consistency, signal).catch((error: unknown) => {
      if (!(error instanceof ConfigurationError)) throw error;
      throw new ConfigurationError(
        `spicedbPort: this parent has more than ${this.limits.maxChildren} children (maxParentChildren) and the subject reaches more than ${this.limits.maxIds} ids (maxLookupIds); page it`,
        { cause: error },
      );
    });
  }

  /**
   * The children of `parent` the subject may `permission`: the edges pointing at the parent
   * (at most `maxChildren` + 1 read), then bulk checks of those children; it costs what the
   * parent holds. The checks decide access; the read only narrows the candidates. Past the cap,
   * the other way round (see `maxParentChildren`): every id the subject may `permission` (at
   * most `maxIds`), kept when its `relation` edge points at `parent`. One consistency for all.
   */
  async under(
    req: LookupRequest,
    parent: Resource,
    relation: string,
    consistency: v1.Consistency,
    signal: AbortSignal | undefined,
  ): Promise<string[]> {
    assertResource(parent);
    const edge = {
      resourceType: this.map.typeOf(req.resourceType),
      relation,
      parent: this.map.object(parent),
    };
    const children = await readChildren(
      this.calls,
      consistency,
      edge,
      this.limits.maxChildren,
      signal,
    );
    const candidates = children.complete
      ? children.ids
      : await this.allOf(req, consistency, signal);
    const subject = this.map.subject(req.subject);
    const underParent = v1.SubjectReference.create({ object: edge.parent, optionalRelation: "" });
    const question = (id: string): CheckItem => {
      const resource = this.map.object({ type: req.resourceType, id });
      return children.complete
        ? { resource, permission: req.permission, subject }
        : { resource, permission: relation, subject: underParent };
    };
    const allowed = await checkBulk(
      this.calls,
      candidates.map(question),
      consistency,
      this.limits.chunkSize,
      signal,
    );
    return candidates.filter((_, i) => allowed[i] === true);
  }
}

/**
 * The ids `LookupResources` answers with a definite permission. The stream is cut at
 * `deadlineMs`, cancelled when `signal` aborts, and cancelled past `maxIds` distinct ids (the
 * lookup is then refused): what it holds never grows past `maxIds + 1`.
 *
 * @throws `ConfigurationError` past `maxIds`; the library's error for a failed stream
 * @internal
 */
export async function lookupResources(
  calls: SpiceDBCalls,
  request: v1.LookupResourcesRequest,
  limits: { deadlineMs: number; maxIds: number },
  signal: AbortSignal | undefined,
): Promise<string[]> {
  const found = new Set<string>();
  await calls.lookupResources(
    request,
    Date.now() + limits.deadlineMs,
    (answer) => {
      // Only definite answers; conditional (caveated) results are not access.
      if (answer.permissionship !== v1.LookupPermissionship.HAS_PERMISSION) return;
      found.add(answer.resourceObjectId);
      if (found.size > limits.maxIds) {
        throw new ConfigurationError(
          `spicedbPort: LookupResources found more than ${limits.maxIds} ids (maxLookupIds); scope it by parent or page it`,
        );
      }
    },
    signal,
  );
  return [...found];
}

/** What {@link readChildren} read: the children, and whether they are all of them. */
export interface Children {
  ids: string[];
  /** False when the parent has more than the cap: `ids` is then a part of them. */
  complete: boolean;
}

/**
 * The ids of the `resourceType` objects whose `relation` points at `parent`, once each: the
 * candidates of a lookup under that parent, not yet checked. One `ReadRelationships` call of at
 * most `max + 1` rows: the extra row tells whether there are more than `max`.
 *
 * @throws `AuthorizationUnavailableError` when SpiceDB answers edges that were not asked for,
 *   or more rows than asked
 * @internal
 */
export async function readChildren(
  calls: SpiceDBCalls,
  consistency: v1.Consistency,
  edge: { resourceType: string; relation: string; parent: v1.ObjectReference },
  max: number,
  signal: AbortSignal | undefined,
): Promise<Children> {
  const limit = max + 1;
  const rows = await calls.readRelationships(
    v1.ReadRelationshipsRequest.create({
      consistency,
      optionalLimit: limit,
      relationshipFilter: v1.RelationshipFilter.create({
        resourceType: edge.resourceType,
        optionalRelation: edge.relation,
        optionalSubjectFilter: v1.SubjectFilter.create({
          subjectType: edge.parent.objectType,
          optionalSubjectId: edge.parent.objectId,
        }),
      }),
    }),
    signal,
  );
  if (!Array.isArray(rows) || rows.length > limit) throw new AuthorizationUnavailableError();
  const ids = new Set(rows.map((row) => childOf(row, edge)));
  return { ids: [...ids], complete: rows.length < limit };
}

/** The child of one row; only the edges asked for: anything else means a broken backend. */
function childOf(
  row: v1.ReadRelationshipsResponse | undefined,
  edge: { resourceType: string; relation: string; parent: v1.ObjectReference },
): string {
  const r = row?.relationship;
  if (
    r?.resource?.objectType !== edge.resourceType ||
    r.relation !== edge.relation ||
    r.subject?.object?.objectType !== edge.parent.objectType ||
    r.subject.object.objectId !== edge.parent.objectId ||
    !isValidId(r.resource.objectId)
  ) {
    throw new AuthorizationUnavailableError();
  }
  return r.resource.objectId;
}
