// The port's protobuf mapping: the library's resources, subjects and consistency as SpiceDB
// messages, and the checks that SpiceDB's answers are for the questions asked (else fail closed).
import { v1 } from "@authzed/authzed-node";
import { AuthorizationUnavailableError, ConfigurationError } from "../core/errors.js";
import type { CheckRequest, Consistency } from "../core/port.js";
import {
  assertResource,
  assertSubject,
  isValidRelationName,
  type Resource,
  type Subject,
} from "../core/resources.js";
import { mapSpiceDBError } from "./errors.js";

/**
 * One permission check as SpiceDB asks it.
 *
 * @internal
 */
export interface CheckItem {
  resource: v1.ObjectReference;
  permission: string;
  subject: v1.SubjectReference;
}

/**
 * Resources, subjects and relationships as SpiceDB messages, with library types renamed to
 * schema definitions (`types`). Every reference is validated first.
 *
 * @internal
 */
export class Mapping {
  /** @param types - library type -> schema definition; unlisted types keep their name */
  constructor(private readonly types: Readonly<Record<string, string>>) {}

  /** The schema definition of a library type. */
  typeOf(type: string): string {
    return this.types[type] ?? type;
  }

  /** @throws `ConfigurationError` for an invalid resource */
  object(resource: Resource): v1.ObjectReference {
    assertResource(resource);
    return v1.ObjectReference.create({
      objectType: this.typeOf(resource.type),
      objectId: resource.id,
    });
  }

  /** @throws `ConfigurationError` for an invalid subject (a wildcard id only if allowed) */
  subject(subject: Subject, allowWildcard = false): v1.SubjectReference {
    assertSubject(subject, allowWildcard);
    return v1.SubjectReference.create({
      object: v1.ObjectReference.create({
        objectType: this.typeOf(subject.type),
        objectId: subject.id,
      }),
      optionalRelation: subject.relation ?? "",
    });
  }

  /** The edge `resource#relation@subject`. */
  relationship(
    resource: Resource,
    relation: string,
    subject: Subject | Resource,
    allowWildcard = false,
  ): v1.Relationship {
    return v1.Relationship.create({
      resource: this.object(resource),
      relation,
      subject: this.subject(subject, allowWildcard),
    });
  }

  /** @throws `ConfigurationError` for an invalid permission name, resource or subject */
  checkItem(req: CheckRequest): CheckItem {
    if (!isValidRelationName(req.permission))
      throw new ConfigurationError("invalid permission name");
    return {
      resource: this.object(req.resource),
      permission: req.permission,
      subject: this.subject(req.subject),
    };
  }
}

/**
 * A requirement as SpiceDB's `Consistency`; none is `minimizeLatency`.
 *
 * @internal
 */
export function toConsistency(c: Consistency | undefined): v1.Consistency {
  switch (c?.kind) {
    case "fullyConsistent":
      return v1.Consistency.create({
        requirement: { oneofKind: "fullyConsistent", fullyConsistent: true },
      });
    case "atLeastAsFresh":
      return v1.Consistency.create({
        requirement: {
          oneofKind: "atLeastAsFresh",
          atLeastAsFresh: v1.ZedToken.create({ token: c.token }),
        },
      });
    default:
      return v1.Consistency.create({
        requirement: { oneofKind: "minimizeLatency", minimizeLatency: true },
      });
  }
}

/**
 * A check's answer: conditional (a caveat lacked context) is not access.
 *
 * @throws `AuthorizationUnavailableError` for anything but a definite or conditional answer
 * @internal
 */
export function permissionshipToBoolean(p: unknown): boolean {
  if (p === v1.CheckPermissionResponse_Permissionship.HAS_PERMISSION) return true;
  if (
    p === v1.CheckPermissionResponse_Permissionship.NO_PERMISSION ||
    p === v1.CheckPermissionResponse_Permissionship.CONDITIONAL_PERMISSION
  ) {
    return false;
  }
  throw new AuthorizationUnavailableError();
}

/**
 * The answer of one pair of a bulk check to the item `asked` at its position.
 *
 * @throws `AuthorizationUnavailableError` when the pair echoes another question or has no
 *   answer; the mapped error when SpiceDB answered this item with one
 * @internal
 */
export function bulkAnswer(
  pair: v1.CheckBulkPermissionsPair,
  asked: CheckItem | undefined,
): boolean {
  const echoed = pair.request;
  // The answer must be for the question asked, in order; anything else fails closed.
  if (
    !asked ||
    !echoed ||
    echoed.resource?.objectId !== asked.resource.objectId ||
    echoed.resource?.objectType !== asked.resource.objectType ||
    echoed.permission !== asked.permission ||
    // The whole subject: `tenant:t1#member`, `tenant:t1#admin` and `user:t1` share an id.
    !sameSubject(echoed.subject, asked.subject)
  ) {
    throw new AuthorizationUnavailableError();
  }
  if (pair.response.oneofKind === "item") {
    return permissionshipToBoolean(pair.response.item.permissionship);
  }
  if (pair.response.oneofKind === "error") {
    throw mapSpiceDBError(
      Object.assign(new Error(pair.response.error.message), { code: pair.response.error.code }),
    );
  }
  throw new AuthorizationUnavailableError();
}

/**
 * True when `s` names the same subject as `want` (object and optional relation).
 *
 * @internal
 */
export function sameSubject(
  s: v1.SubjectReference | undefined,
  want: v1.SubjectReference,
): boolean {
  return (
    s?.object?.objectType === want.object?.objectType &&
    s?.object?.objectId === want.object?.objectId &&
    (s?.optionalRelation ?? "") === want.optionalRelation
  );
}
