// register's write: the owner and parent edges created at once under preconditions, and the
// check that a registration refused as a conflict is the same one retried (then a success).
import { v1 } from "@authzed/authzed-node";
import { ConfigurationError } from "../core/errors.js";
import type { RegisterRequest } from "../core/port.js";
import type { SpiceDBCalls } from "./calls.js";
import { type Mapping, sameSubject, toConsistency } from "./mapping.js";

/**
 * One registration as a `WriteRelationships` call.
 *
 * @internal
 */
export interface RegistrationWrite {
  /** The owner edge, and the parent edge when a parent is given. */
  updates: v1.RelationshipUpdate[];
  /** Neither an owner nor (when one is configured) a parent is there yet. */
  preconditions: v1.Precondition[];
  /** The type's relation to its parent, when one is configured. */
  parentRelation: string | undefined;
}

/**
 * The registrations of one port: what to write, and whether the edges in place are a request's.
 *
 * @internal
 */
export class Registration {
  constructor(
    private readonly calls: SpiceDBCalls,
    private readonly map: Mapping,
    private readonly ownerRelation: string,
    private readonly parentRelations: Readonly<Record<string, string>>,
  ) {}

  /**
   * The write registering `req`: it fails with a conflict when an owner or parent is there.
   *
   * @throws `ConfigurationError` for a parent without a configured relation, or an invalid reference
   */
  write(req: RegisterRequest): RegistrationWrite {
    const parentRelation = this.parentRelationFor(req);
    const resource = this.map.object(req.resource);
    const mustBeAbsent = (relation: string) =>
      v1.Precondition.create({
        operation: v1.Precondition_Operation.MUST_NOT_MATCH,
        filter: v1.RelationshipFilter.create({
          resourceType: resource.objectType,
          optionalResourceId: resource.objectId,
          optionalRelation: relation,
        }),
      });
    const updates = [
      v1.RelationshipUpdate.create({
        operation: v1.RelationshipUpdate_Operation.CREATE,
        relationship: this.map.relationship(req.resource, this.ownerRelation, req.subject),
      }),
    ];
    const preconditions = [mustBeAbsent(this.ownerRelation)];
    if (parentRelation) preconditions.push(mustBeAbsent(parentRelation));
    if (req.parent && parentRelation) {
      updates.push(
        v1.RelationshipUpdate.create({
          operation: v1.RelationshipUpdate_Operation.CREATE,
          relationship: this.map.relationship(req.resource, parentRelation, req.parent),
        }),
      );
    }
    return { updates, preconditions, parentRelation };
  }

  /**
   * Reads the owner and parent edges and compares them with the request: the subject is an
   * owner, and the parent is the one asked for (none when none is asked for).
   */
  async isSameRegistration(
    req: RegisterRequest,
    parentRelation: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const resource = this.map.object(req.resource);
    const read = async (relation: string) => {
      const rows = await this.calls.readRelationships(
        v1.ReadRelationshipsRequest.create({
          consistency: toConsistency({ kind: "fullyConsistent" }),
          relationshipFilter: v1.RelationshipFilter.create({
            resourceType: resource.objectType,
            optionalResourceId: resource.objectId,
            optionalRelation: relation,
          }),
        }),
        signal,
      );
      return rows.map((r) => r.relationship?.subject);
    };
    const owners = await read(this.ownerRelation);
    // The subject must already be an owner (other owners may have been granted since).
    const me = this.map.subject(req.subject);
    if (!owners.some((o) => sameSubject(o, me))) return false;
    if (!parentRelation) return true;
    const parents = await read(parentRelation);
    if (!req.parent) return parents.length === 0;
    return parents.length === 1 && sameSubject(parents[0], this.map.subject(req.parent));
  }

  private parentRelationFor(req: RegisterRequest): string | undefined {
    if (!req.parent) return this.parentRelations[req.resource.type];
    const relation = this.parentRelations[req.resource.type];
    if (!relation) {
      throw new ConfigurationError(
        `spicedbPort: no parent relation configured for type "${req.resource.type}" (options.parentRelations)`,
      );
    }
    return relation;
  }
}
