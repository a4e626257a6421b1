// Resources and subjects: defineResource and its typed kinds, defineSubject and the subject
// factories, and SpiceDB's identifier rules. The kind owns its not-found message.
import * as z from "zod/mini";
import { ConfigurationError, InvalidIdentifierError } from "./errors.js";
import { parseOptions } from "./options.js";

declare const permissionBrand: unique symbol;

/**
 * A protected object: a type and an id. `P` (types only) carries the permission names the
 * kind declared, so a wrong permission does not compile.
 *
 * @example
 * ```ts
 * const key: Resource<"api_key", AgentexPermission> = apiKey("k1"); // { type, id }
 * const plain: Resource = { type: "document", id: "d1" };
 * ```
 */
export type Resource<T extends string = string, P extends string = string> = {
  readonly type: T;
  readonly id: string;
  /** Type-level only: never present at runtime. */
  readonly [permissionBrand]?: P;
};

/**
 * Who acts: a user, a service account, or a set such as `tenant:t1#member`.
 *
 * @example
 * ```ts
 * const alice: Subject = user("alice"); // { type: "user", id: "alice" }
 * const members: Subject = { type: "tenant", id: "acme", relation: "member" };
 * ```
 */
export type Subject = { readonly type: string; readonly id: string; readonly relation?: string };

/**
 * The permission names a resource (or kind) allows, `string` when it declared none.
 *
 * @example
 * ```ts
 * type ApiKeyPermission = PermissionOf<ReturnType<typeof apiKey>>; // AgentexPermission
 * ```
 */
export type PermissionOf<R> = R extends Resource<string, infer P> ? P : string;

/**
 * SpiceDB's object-id rule. `*` is SpiceDB's wildcard subject and is never a valid resource id.
 */
const OBJECT_ID = /^[a-zA-Z0-9/_|\-=+]{1,1024}$/;
/** SpiceDB's definition-name rule (with optional `prefix/`). */
const TYPE_NAME = /^([a-z][a-z0-9_]{1,62}[a-z0-9]\/)*[a-z][a-z0-9_]{1,62}[a-z0-9]$/;
const RELATION_NAME = /^[a-z][a-z0-9_]{1,62}[a-z0-9]$/;

/**
 * True when `id` is an object id SpiceDB accepts (`^[a-zA-Z0-9/_|\-=+]{1,1024}$`).
 * Use it to reject untrusted ids before any backend call.
 *
 * @example
 * ```ts
 * if (!isValidId(req.params.id)) throw new NotFoundError(apiKey.notFoundMessage);
 * ```
 */
export function isValidId(id: unknown): id is string {
  return typeof id === "string" && OBJECT_ID.test(id);
}

/**
 * True when `name` is a valid SpiceDB type (definition) name.
 *
 * @example
 * ```ts
 * isValidTypeName("api_key"); // true
 * isValidTypeName("Api-Key"); // false
 * ```
 */
export function isValidTypeName(name: unknown): name is string {
  return typeof name === "string" && TYPE_NAME.test(name);
}

/**
 * True when `name` is a valid SpiceDB relation or permission name.
 *
 * @example
 * ```ts
 * isValidRelationName("create_agent"); // true
 * isValidRelationName("parent_agent->read"); // false
 * ```
 */
export function isValidRelationName(name: unknown): name is string {
  return typeof name === "string" && RELATION_NAME.test(name);
}

/**
 * Throws {@link InvalidIdentifierError} (whose message never repeats the id) unless valid.
 *
 * @example
 * ```ts
 * assertValidId(req.params.id); // InvalidIdentifierError (400) unless valid
 * const row = await db.getApiKey(req.params.id); // a string from here on
 * ```
 */
export function assertValidId(id: unknown): asserts id is string {
  if (!isValidId(id)) throw new InvalidIdentifierError();
}

/**
 * A resource type as a callable factory: `apiKey("k1")` is `{ type: "api_key", id: "k1" }`.
 *
 * @example
 * ```ts
 * const doc: ResourceKind<"document", "read" | "write"> = defineResource("document", {
 *   permissions: ["read", "write"] as const,
 * });
 * doc("d1"); // { type: "document", id: "d1" }
 * ```
 */
export interface ResourceKind<T extends string = string, P extends string = string> {
  /**
   * Builds a resource of this kind.
   * @throws {@link InvalidIdentifierError} for an id SpiceDB would reject
   */
  (id: string): Resource<T, P>;
  /** The library-side type name. */
  readonly type: T;
  /** The constant 404 message for this kind. It never contains an identifier. */
  readonly notFoundMessage: string;
  /** The permissions this kind declared (empty when it declared none). */
  readonly permissions: readonly P[];
  /**
   * The permission that means "can see it": what the `"unless-readable"` policy, a lookup's
   * default and a scoped list's parent check ask for. `undefined` when the kind declared
   * permissions without one.
   */
  readonly readPermission: P | undefined;
  /** True when `id` is valid for this kind (same rule as {@link isValidId}). */
  isValidId(id: unknown): id is string;
}

/**
 * Options of {@link defineResource}.
 *
 * @example
 * ```ts
 * const options: DefineResourceOptions<"read" | "edit"> = {
 *   notFoundMessage: "Document not found.",
 *   permissions: ["read", "edit"],
 * };
 * const doc = defineResource("document", options);
 * ```
 */
export interface DefineResourceOptions<P extends string> {
  /** Constant 404 message. Default `"Not found."`. Must not contain any identifier. */
  notFoundMessage?: string;
  /** Permission names (`as const`) that make a wrong permission a compile error. */
  permissions?: readonly P[];
  /**
   * The permission that means "can see it". Default `"read"` when `permissions` lists it or
   * lists nothing; none when `permissions` lists others only (the kind is then collapsed with
   * the `"always"` policy, and a scoped list cannot use it as a parent). `null` says "none"
   * explicitly, whatever `permissions` lists (what `fgac generate` writes for a kind without).
   */
  readPermission?: NoInfer<P> | null;
}

const DEFAULT_NOT_FOUND = "Not found.";
/**
 * Where a resource built by a kind keeps its kind's 404 message: non-enumerable, so it is not
 * part of the value (equality, JSON), and `Symbol.for` so an ESM and a CJS copy agree.
 */
const NOT_FOUND_MESSAGE = Symbol.for("fgac.notFoundMessage");
/** Where such a resource keeps its kind's read permission (`null`: the kind has none). */
const READ_PERMISSION = Symbol.for("fgac.readPermission");
const DEFAULT_READ = "read";

const typeSchema = z.string().check(z.refine(isValidTypeName, "is not a valid type name"));
const optionsSchema = z.object({
  notFoundMessage: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  permissions: z.optional(z.readonly(z.array(z.string().check(z.regex(RELATION_NAME))))),
  readPermission: z.optional(z.nullable(z.string().check(z.regex(RELATION_NAME)))),
});

/**
 * Defines a resource kind: a typed factory with an identifier-free not-found message.
 *
 * @param type - the library-side type name (a valid SpiceDB type name)
 * @param options - `notFoundMessage`, `permissions` and `readPermission`
 * @returns a callable {@link ResourceKind}
 * @throws {@link ConfigurationError} for an invalid type name or options
 * @example
 * ```ts
 * const task = defineResource("task", {
 *   notFoundMessage: "Task not found.",
 *   permissions: ["read", "update", "delete"] as const,
 * });
 * await authz.check(task("t1"), "read");
 * ```
 */
export function defineResource<const T extends string, const P extends string = string>(
  type: T,
  options: DefineResourceOptions<P> = {},
): ResourceKind<T, P> {
  parseOptions("defineResource", z.object({ type: typeSchema }), { type });
  parseOptions(`defineResource("${type}")`, optionsSchema, options);
  const notFoundMessage = options.notFoundMessage ?? DEFAULT_NOT_FOUND;
  const permissions = Object.freeze([...(options.permissions ?? [])]) as readonly P[];
  const readPermission =
    options.readPermission === null
      ? undefined
      : (options.readPermission ?? defaultReadPermission(permissions));
  if (
    readPermission !== undefined &&
    permissions.length > 0 &&
    !permissions.includes(readPermission)
  ) {
    throw new ConfigurationError(
      `defineResource("${type}"): "readPermission" must be one of its permissions`,
    );
  }
  const kind = ((id: string): Resource<T, P> => {
    assertValidId(id);
    const resource = { type, id };
    Object.defineProperties(resource, {
      [NOT_FOUND_MESSAGE]: { value: notFoundMessage },
      [READ_PERMISSION]: { value: readPermission ?? null },
    });
    return Object.freeze(resource);
  }) as ResourceKind<T, P>;
  Object.defineProperties(kind, {
    type: { value: type, enumerable: true },
    notFoundMessage: { value: notFoundMessage, enumerable: true },
    permissions: { value: permissions, enumerable: true },
    readPermission: { value: readPermission, enumerable: true },
    isValidId: { value: isValidId, enumerable: true },
  });
  return kind;
}

function defaultReadPermission<P extends string>(permissions: readonly P[]): P | undefined {
  return permissions.length === 0 || (permissions as readonly string[]).includes(DEFAULT_READ)
    ? (DEFAULT_READ as P)
    : undefined;
}

/**
 * @internal The read permission of the kind that built `resource` (`null` when that kind has
 * none), or `"read"` for a resource written as a plain object.
 */
export function readPermissionOf(resource: unknown): string | null {
  if (typeof resource !== "object" || resource === null) return DEFAULT_READ;
  const own = (resource as { [READ_PERMISSION]?: unknown })[READ_PERMISSION];
  if (own === null) return null;
  return typeof own === "string" ? own : DEFAULT_READ;
}

/**
 * @internal The 404 message of the kind that built `resource`, or the generic `"Not found."`
 * for a resource written as a plain object.
 */
export function notFoundMessageOf(resource: unknown): string {
  const message =
    typeof resource === "object" && resource !== null
      ? (resource as { [NOT_FOUND_MESSAGE]?: unknown })[NOT_FOUND_MESSAGE]
      : undefined;
  return typeof message === "string" ? message : DEFAULT_NOT_FOUND;
}

/**
 * A subject type as a callable factory: `member("m1")` is `{ type: "member", id: "m1" }`.
 *
 * @example
 * ```ts
 * const member: SubjectKind<"member"> = defineSubject("member");
 * authorizer.forSubject(member("m1"));
 * ```
 */
export interface SubjectKind<T extends string = string> {
  /**
   * Builds a subject of this type.
   * @throws {@link InvalidIdentifierError} for an id SpiceDB would reject
   */
  (id: string): Subject & { readonly type: T };
  /** The subject type (a schema definition name, or a library type the port maps). */
  readonly type: T;
  /** True when `id` is valid for this type (same rule as {@link isValidId}). */
  isValidId(id: unknown): id is string;
}

/**
 * Defines a subject factory, for a schema definition that only ever stands as a subject (one
 * with neither relations nor permissions, such as `user`). `fgac generate` emits one per such
 * definition.
 *
 * @param type - the subject type (a valid SpiceDB type name)
 * @returns a callable {@link SubjectKind}
 * @throws {@link ConfigurationError} for an invalid type name
 * @example
 * ```ts
 * const member = defineSubject("member");
 * member("m1"); // { type: "member", id: "m1" }
 * ```
 */
export function defineSubject<const T extends string>(type: T): SubjectKind<T> {
  parseOptions("defineSubject", z.object({ type: typeSchema }), { type });
  const kind = ((id: string) => {
    assertValidId(id);
    return Object.freeze({ type, id });
  }) as SubjectKind<T>;
  Object.defineProperties(kind, {
    type: { value: type, enumerable: true },
    isValidId: { value: isValidId, enumerable: true },
  });
  return kind;
}

/**
 * The user subject: `user("alice")` is `{ type: "user", id: "alice" }`.
 * Calling it with an invalid id throws {@link InvalidIdentifierError}.
 *
 * @example
 * ```ts
 * const authz = authorizer.forSubject(user("alice"));
 * ```
 */
export const user: SubjectKind<"user"> = defineSubject("user");

/**
 * The service-account subject: `serviceAccount("indexer")` is
 * `{ type: "service_account", id: "indexer" }`. Calling it with an invalid id throws
 * {@link InvalidIdentifierError}.
 *
 * @example
 * ```ts
 * const authz = authorizer.forSubject(serviceAccount("indexer"));
 * ```
 */
export const serviceAccount: SubjectKind<"service_account"> = defineSubject("service_account");

/**
 * A subject set, e.g. `subjectSet(tenant("t1"), "member")` for every member of tenant t1.
 * @throws {@link InvalidIdentifierError} for an invalid relation
 *
 * @example
 * ```ts
 * const members = subjectSet(tenant("acme"), "member"); // tenant:acme#member
 * await port.grant({ subject: members, resource: agent("a1"), relation: "viewer" });
 * ```
 */
export function subjectSet(resource: Resource, relation: string): Subject {
  assertValidId(resource.id);
  if (!isValidRelationName(relation)) throw new InvalidIdentifierError();
  return Object.freeze({ type: resource.type, id: resource.id, relation });
}

/** Throws {@link InvalidIdentifierError} unless `resource` is a well-formed resource. */
export function assertResource(resource: unknown): asserts resource is Resource {
  const r = resource as Resource | null | undefined;
  if (typeof r !== "object" || r === null || !isValidTypeName(r.type) || !isValidId(r.id)) {
    throw new InvalidIdentifierError();
  }
}

/**
 * Throws {@link InvalidIdentifierError} unless `subject` is a well-formed subject. The wildcard
 * id `*` ("every user") is only accepted where `allowWildcard` says so (grant and revoke): as the
 * subject of a check or lookup it is nonsense, and SpiceDB rejects it.
 */
export function assertSubject(subject: unknown, allowWildcard = false): asserts subject is Subject {
  const s = subject as Subject | null | undefined;
  if (
    typeof s !== "object" ||
    s === null ||
    !isValidTypeName(s.type) ||
    !(isValidId(s.id) || (allowWildcard && s.id === "*" && s.relation === undefined)) ||
    (s.relation !== undefined && !isValidRelationName(s.relation))
  ) {
    throw new InvalidIdentifierError();
  }
}
