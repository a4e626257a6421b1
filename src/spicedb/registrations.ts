// registrations: the objects of a type that have edges, a page at a time, for reconcile. One
// ReadRelationships stream per chunk, its edges grouped per object, never splitting an object.
import { v1 } from "@authzed/authzed-node";
import { AuthorizationUnavailableError, ConfigurationError } from "../core/errors.js";
import type { Registration, RegistrationsPage, RegistrationsRequest } from "../core/port.js";
import { isValidId, isValidTypeName, type Resource, type Subject } from "../core/resources.js";
import type { SpiceDBCalls } from "./calls.js";
import { type Mapping, toConsistency } from "./mapping.js";

/**
 * Relationships read per `ReadRelationships` call: SpiceDB's default maximum. Constant, because
 * SpiceDB accepts a cursor only with the same limit as the call that issued it.
 */
const READ_LIMIT = 1000;

/**
 * What {@link readRegistrations} needs of its port.
 *
 * @internal
 */
export interface RegistrationsContext {
  calls: SpiceDBCalls;
  map: Mapping;
  /** Library type -> schema definition (the port's `types`), read backwards here. */
  types: Readonly<Record<string, string>>;
  ownerRelation: string;
  parentRelations: Readonly<Record<string, string>>;
}

/** An object being collected, with the cursor after its last edge. */
interface Group {
  id: string;
  owners: Subject[];
  parents: Resource[];
  cursor: string | undefined;
}

/**
 * One page of the registrations of `req.resourceType`: at most `req.limit` objects in ascending
 * id order (SpiceDB sorts by resource, in byte order), each with every owner and parent edge.
 * An object's edges are never split across pages: a page ends at the cursor after the last edge
 * of its last object, so the next one starts at the first edge of the next object. The first
 * page reads fully consistent; the next ones read at the first one's revision (the cursor's).
 *
 * @throws `ConfigurationError` for an invalid type or limit
 * @throws `AuthorizationUnavailableError` when SpiceDB answers edges not asked for, invalid or
 *   out of order; the mapped error of a failed call (an aborted `signal` too)
 * @internal
 */
export async function readRegistrations(
  context: RegistrationsContext,
  req: RegistrationsRequest,
  signal: AbortSignal | undefined,
): Promise<RegistrationsPage> {
  if (!isValidTypeName(req?.resourceType)) throw new ConfigurationError("invalid resource type");
  if (!Number.isInteger(req.limit) || req.limit < 1) {
    throw new ConfigurationError("registrations: limit must be a positive integer");
  }
  if (req.cursor !== undefined && (typeof req.cursor !== "string" || req.cursor === "")) {
    throw new ConfigurationError("registrations: invalid cursor");
  }
  const objectType = context.map.typeOf(req.resourceType);
  const edgeOf = edgeReader(context, req.resourceType);
  const items: Registration[] = [];
  let current: Group | undefined;
  let cursor = req.cursor;
  for (;;) {
    const rows = await context.calls.readRelationships(
      v1.ReadRelationshipsRequest.create({
        consistency: toConsistency({ kind: "fullyConsistent" }),
        relationshipFilter: v1.RelationshipFilter.create({ resourceType: objectType }),
        optionalLimit: READ_LIMIT,
        ...(cursor === undefined ? {} : { optionalCursor: v1.Cursor.create({ token: cursor }) }),
      }),
      signal,
    );
    if (!Array.isArray(rows) || rows.length > READ_LIMIT) throw new AuthorizationUnavailableError();
    for (const row of rows) {
      const edge = edgeOf(row, objectType);
      if (current !== undefined && edge.id === current.id) {
        edge.add(current);
        continue;
      }
      if (current !== undefined) {
        if (edge.id < current.id) throw new AuthorizationUnavailableError(); // out of order
        items.push(registration(current));
        // `limit` whole objects, and an edge of the next: the page ends after the last one.
        if (items.length === req.limit) {
          // Without a cursor the next page could not start here: fail, never end the listing early.
          if (current.cursor === undefined) throw new AuthorizationUnavailableError();
          return { items, cursor: current.cursor };
        }
      }
      current = { id: edge.id, owners: [], parents: [], cursor: undefined };
      edge.add(current);
    }
    if (rows.length < READ_LIMIT) break;
    // The whole chunk was read: resume after its last edge (still the current object's).
    const last = rows[rows.length - 1]?.afterResultCursor?.token;
    if (!last) throw new AuthorizationUnavailableError();
    cursor = last;
  }
  if (current !== undefined) items.push(registration(current));
  return { items };
}

function registration(group: Group): Registration {
  return { id: group.id, owners: group.owners, parents: group.parents };
}

/** One edge as read: its object's id, and how it adds to that object's group. */
interface Edge {
  id: string;
  add(group: Group): void;
}

/** Reads rows of `objectType`, mapping schema types back to library types. */
function edgeReader(
  context: RegistrationsContext,
  resourceType: string,
): (row: v1.ReadRelationshipsResponse | undefined, objectType: string) => Edge {
  const libraryType = new Map<string, string>();
  for (const [library, schema] of Object.entries(context.types)) libraryType.set(schema, library);
  const back = (type: string) => libraryType.get(type) ?? type;
  const parentRelation = context.parentRelations[resourceType];
  return (row, objectType) => {
    const r = row?.relationship;
    const subject = r?.subject?.object;
    if (
      r?.resource?.objectType !== objectType ||
      !isValidId(r.resource.objectId) ||
      typeof r.relation !== "string" ||
      !isValidTypeName(subject?.objectType) ||
      typeof subject?.objectId !== "string"
    ) {
      throw new AuthorizationUnavailableError();
    }
    const cursor = row?.afterResultCursor?.token || undefined;
    const relation = r.subject?.optionalRelation ?? "";
    return {
      id: r.resource.objectId,
      add(group) {
        group.cursor = cursor;
        const type = back(subject.objectType);
        if (r.relation === context.ownerRelation) {
          group.owners.push(
            relation ? { type, id: subject.objectId, relation } : { type, id: subject.objectId },
          );
        } else if (r.relation === parentRelation) {
          group.parents.push({ type, id: subject.objectId });
        }
      },
    };
  };
}
