import { deadlineInterceptor, v1 } from "@authzed/authzed-node";
import { z } from "zod";
import {
  AuthorizationUnavailableError,
  ConfigurationError,
  ConflictError,
} from "../core/errors.js";
import {
  type AuthorizationPort,
  type CheckRequest,
  type Consistency,
  consistencySchema,
  DEFAULT_RELATION,
  type DeregisterRequest,
  type LookupRequest,
  type RegisterRequest,
  type RelationRequest,
  type WriteResult,
} from "../core/port.js";
import {
  assertResource,
  assertSubject,
  isValidId,
  isValidRelationName,
  isValidTypeName,
  type Resource,
  type Subject,
} from "../core/resources.js";
import { mapSpiceDBError } from "./errors.js";

/** Deadline of every SpiceDB call, in ms, unless `deadlineMs` says otherwise. */
const DEFAULT_DEADLINE_MS = 5000;
/**
 * The part of an `@authzed/authzed-node` client the port uses: `NewClient(...)` and the
 * embedded SpiceDB's `permissions()` both fit.
 */
export interface SpiceDBClient {
  /** Promise-style unary calls. */
  promises: Pick<
    v1.ZedPromiseClientInterface,
    | "checkPermission"
    | "checkBulkPermissions"
    | "writeRelationships"
    | "deleteRelationships"
    | "readRelationships"
  >;
  /** Streaming LookupResources (takes a gRPC deadline). */
  lookupResources: v1.ZedClientInterface["lookupResources"];
  /** Closes the connection, when the port created it. */
  close?: () => void;
}

/** How {@link spicedbPort} reaches SpiceDB. */
export type SpiceDBConnection =
  | { client: SpiceDBClient }
  | { endpoint: string; token: string; insecure?: boolean };

/** Options of {@link spicedbPort}. */
export interface SpiceDBPortOptions {
  /** Library type -> schema definition, e.g. `{ api_key: "agent_api_key" }`. Applies to subjects too. */
  types?: Record<string, string>;
  /** Relation written by `register` and the default of `grant`/`revoke` (default `"owner"`). */
  ownerRelation?: string;
  /** Resource type -> relation to its parent, e.g. `{ api_key: "parent_agent", agent: "tenant" }`. */
  parentRelations?: Record<string, string>;
  /**
   * Default read consistency. Default: at least as fresh as this port's newest write
   * (read-your-writes), `minimizeLatency` before any write. "Newest" is by revision when the
   * datastore's revisions are integers, else by time; while overlapping writes (or a write that
   * failed as unavailable) leave it unknown, reads are `fullyConsistent` until the next write.
   */
  consistency?: Consistency;
  /**
   * gRPC deadline in ms (default 5000): of every call when the port connects to `endpoint`
   * itself, and of `LookupResources` on a client you pass in (give that client its own
   * deadline interceptor, e.g. `deadlineInterceptor` from `@authzed/authzed-node`).
   */
  deadlineMs?: number;
  /** Items per CheckBulkPermissions call (default 500, SpiceDB's default limit is 1000). */
  bulkChunkSize?: number;
}

const nameMap = z.record(
  z.string().refine(isValidTypeName, "invalid type name"),
  z.string().refine(isValidTypeName, "invalid type name"),
);
const relationMap = z.record(
  z.string().refine(isValidTypeName, "invalid type name"),
  z.string().refine(isValidRelationName, "invalid relation name"),
);
const optionsSchema = z.object({
  types: nameMap.optional(),
  ownerRelation: z.string().refine(isValidRelationName, "invalid relation name").optional(),
  parentRelations: relationMap.optional(),
  consistency: consistencySchema.optional(),
  deadlineMs: z.number().int().positive().optional(),
  bulkChunkSize: z.number().int().min(1).max(1000).optional(),
});
const connectionSchema = z.union([
  z.object({
    client: z.custom<SpiceDBClient>(
      (c) =>
        typeof c === "object" &&
        c !== null &&
        typeof (c as { promises?: unknown }).promises === "object",
    ),
  }),
  z.object({ endpoint: z.string().min(1), token: z.string(), insecure: z.boolean().optional() }),
]);

/**
 * An {@link AuthorizationPort} over SpiceDB through `@authzed/authzed-node`.
 *
 * - `register` writes the owner edge and the parent edge in one `WriteRelationships` call,
 *   guarded by preconditions: a retry with the same owner and parent succeeds and changes
 *   nothing; another owner or parent throws `ConflictError` and changes nothing.
 * - `deregister` deletes every relationship whose resource is the object, in one call.
 * - `checkMany` uses `CheckBulkPermissions` in chunks; `lookup` streams `LookupResources`.
 * - Errors: outages fail closed (`AuthorizationUnavailableError`), schema mismatches are
 *   `ConfigurationError`s.
 *
 * @param connection - `{ client }` (an authzed client or the embedded one) or `{ endpoint, token, insecure? }`
 * @param options - type map, owner and parent relations, default consistency
 * @returns the port
 * @throws `ConfigurationError` for invalid options
 * @example
 * ```ts
 * const port = spicedbPort({ endpoint: "localhost:50051", token: "secret", insecure: true }, {
 *   types: { api_key: "agent_api_key" },
 *   parentRelations: { api_key: "parent_agent", agent: "tenant" },
 * });
 * ```
 */
export function spicedbPort(
  connection: SpiceDBConnection,
  options: SpiceDBPortOptions = {},
): AuthorizationPort {
  return createSpiceDBPort(connection, options);
}

/**
 * {@link spicedbPort}, whose default reads start at least as fresh as `seenToken` (a write made
 * before the port existed, such as the embedded SpiceDB's initial relationships).
 *
 * @internal
 */
export function createSpiceDBPort(
  connection: SpiceDBConnection,
  options: SpiceDBPortOptions,
  seenToken?: string,
): AuthorizationPort {
  const parsedOptions = optionsSchema.safeParse(options);
  if (!parsedOptions.success) {
    throw new ConfigurationError(`spicedbPort: invalid options: ${parsedOptions.error.message}`);
  }
  if (!connectionSchema.safeParse(connection).success) {
    throw new ConfigurationError("spicedbPort: pass { client } or { endpoint, token, insecure? }");
  }
  let client: SpiceDBClient;
  let owned = false;
  if ("client" in connection) {
    client = connection.client;
  } else {
    client = v1.NewClient(
      connection.token,
      connection.endpoint,
      connection.insecure
        ? v1.ClientSecurity.INSECURE_PLAINTEXT_CREDENTIALS
        : v1.ClientSecurity.SECURE,
      undefined, // the default preconnect (the permissions service)
      // Every call gets a gRPC deadline (a call that already has one keeps it). Without it a
      // server that accepts and never answers holds unary calls forever.
      { interceptors: [deadlineInterceptor(options.deadlineMs ?? DEFAULT_DEADLINE_MS)] },
    );
    owned = true;
  }
  return new SpiceDBPort(client, options, owned, seenToken);
}

class SpiceDBPort implements AuthorizationPort {
  private readonly types: Record<string, string>;
  private readonly ownerRelation: string;
  private readonly parentRelations: Record<string, string>;
  private readonly deadlineMs: number;
  private readonly chunkSize: number;
  private readonly freshness: Freshness;

  constructor(
    private readonly client: SpiceDBClient,
    private readonly options: SpiceDBPortOptions,
    private readonly owned: boolean,
    seenToken: string | undefined,
  ) {
    this.freshness = new Freshness(seenToken);
    this.types = { ...options.types };
    this.ownerRelation = options.ownerRelation ?? DEFAULT_RELATION;
    this.parentRelations = { ...options.parentRelations };
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.chunkSize = options.bulkChunkSize ?? 500;
  }

  private typeOf(type: string): string {
    return this.types[type] ?? type;
  }

  private object(resource: Resource): v1.ObjectReference {
    assertResource(resource);
    return v1.ObjectReference.create({
      objectType: this.typeOf(resource.type),
      objectId: resource.id,
    });
  }

  private subject(subject: Subject, allowWildcard = false): v1.SubjectReference {
    assertSubject(subject, allowWildcard);
    return v1.SubjectReference.create({
      object: v1.ObjectReference.create({
        objectType: this.typeOf(subject.type),
        objectId: subject.id,
      }),
      optionalRelation: subject.relation ?? "",
    });
  }

  /** What a request gets: its own requirement, else the port's default, else read-your-writes. */
  private effective(requested: Consistency | undefined): Consistency | undefined {
    return requested ?? this.options.consistency ?? this.freshness.requirement();
  }

  private consistency(requested: Consistency | undefined): v1.Consistency {
    const c = this.effective(requested);
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

  /** Runs one write, telling {@link Freshness} when it started and what it wrote at. */
  private async tracked<T>(
    call: () => Promise<T>,
    writtenAt: (response: T) => v1.ZedToken | undefined,
  ): Promise<WriteResult> {
    const started = this.freshness.start();
    let response: T;
    try {
      response = await this.rpc(call);
    } catch (error) {
      // Unavailable (a timeout, a dropped connection): the write may have landed.
      if (error instanceof AuthorizationUnavailableError) this.freshness.unknown();
      throw error;
    }
    const token = writtenAt(response)?.token || undefined;
    this.freshness.settle(started, token);
    return token ? { token } : {};
  }

  private async rpc<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw mapSpiceDBError(error);
    }
  }

  private checkItem(req: CheckRequest): {
    resource: v1.ObjectReference;
    permission: string;
    subject: v1.SubjectReference;
  } {
    if (!isValidRelationName(req.permission))
      throw new ConfigurationError("invalid permission name");
    return {
      resource: this.object(req.resource),
      permission: req.permission,
      subject: this.subject(req.subject),
    };
  }

  async check(req: CheckRequest): Promise<boolean> {
    const item = this.checkItem(req);
    const response = await this.rpc(() =>
      this.client.promises.checkPermission(
        v1.CheckPermissionRequest.create({
          ...item,
          consistency: this.consistency(req.consistency),
        }),
      ),
    );
    return permissionshipToBoolean(response?.permissionship);
  }

  async checkMany(reqs: readonly CheckRequest[]): Promise<boolean[]> {
    if (reqs.length === 0) return [];
    const items = reqs.map((r) => this.checkItem(r));
    const consistency = this.consistency(strongest(reqs.map((r) => this.effective(r.consistency))));
    const results: boolean[] = [];
    for (let start = 0; start < items.length; start += this.chunkSize) {
      const chunk = items.slice(start, start + this.chunkSize);
      const response = await this.rpc(() =>
        this.client.promises.checkBulkPermissions(
          v1.CheckBulkPermissionsRequest.create({
            consistency,
            items: chunk.map((i) => v1.CheckBulkPermissionsRequestItem.create(i)),
          }),
        ),
      );
      const pairs = response?.pairs;
      if (!Array.isArray(pairs) || pairs.length !== chunk.length)
        throw new AuthorizationUnavailableError();
      pairs.forEach((pair, i) => {
        const asked = chunk[i];
        const echoed = pair.request;
        // The answer must be for the question asked, in order; anything else fails closed.
        if (
          !asked ||
          !echoed ||
          echoed.resource?.objectId !== asked.resource.objectId ||
          echoed.resource?.objectType !== asked.resource.objectType ||
          echoed.permission !== asked.permission ||
          echoed.subject?.object?.objectId !== asked.subject.object?.objectId
        ) {
          throw new AuthorizationUnavailableError();
        }
        if (pair.response.oneofKind === "item") {
          results.push(permissionshipToBoolean(pair.response.item.permissionship));
        } else if (pair.response.oneofKind === "error") {
          throw mapSpiceDBError(
            Object.assign(new Error(pair.response.error.message), {
              code: pair.response.error.code,
            }),
          );
        } else {
          throw new AuthorizationUnavailableError();
        }
      });
    }
    return results;
  }

  async lookup(req: LookupRequest): Promise<readonly string[]> {
    assertSubject(req.subject);
    if (!isValidTypeName(req.resourceType) || !isValidRelationName(req.permission)) {
      throw new ConfigurationError("invalid resource type or permission name");
    }
    if (req.parent) return this.lookupUnder(req, req.parent);
    const request = v1.LookupResourcesRequest.create({
      consistency: this.consistency(req.consistency),
      resourceObjectType: this.typeOf(req.resourceType),
      permission: req.permission,
      subject: this.subject(req.subject),
    });
    const ids = await this.rpc(
      () =>
        new Promise<Set<string>>((resolve, reject) => {
          const found = new Set<string>();
          const stream = this.client.lookupResources(request, {
            deadline: Date.now() + this.deadlineMs,
          });
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
   * The children of `parent` the subject may `permission`: one read of the edges pointing at
   * the parent, then bulk checks of those children. It costs what the parent holds, where
   * `LookupResources` costs everything the subject can reach. The checks decide access; the read
   * only narrows the candidates.
   */
  private async lookupUnder(req: LookupRequest, parent: Resource): Promise<string[]> {
    assertResource(parent);
    const relation = this.parentRelations[req.resourceType];
    if (!relation) {
      throw new ConfigurationError(
        `spicedbPort: a lookup under a parent needs parentRelations["${req.resourceType}"]`,
      );
    }
    const resourceType = this.typeOf(req.resourceType);
    const { objectType, objectId } = this.object(parent);
    const rows = await this.rpc(() =>
      this.client.promises.readRelationships(
        v1.ReadRelationshipsRequest.create({
          consistency: this.consistency(req.consistency),
          relationshipFilter: v1.RelationshipFilter.create({
            resourceType,
            optionalRelation: relation,
            optionalSubjectFilter: v1.SubjectFilter.create({
              subjectType: objectType,
              optionalSubjectId: objectId,
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
        edge.subject?.object?.objectType !== objectType ||
        edge.subject.object.objectId !== objectId ||
        !isValidId(edge.resource.objectId)
      ) {
        throw new AuthorizationUnavailableError();
      }
      children.add(edge.resource.objectId);
    }
    const ids = [...children];
    const allowed = await this.checkMany(
      ids.map((id) => ({
        subject: req.subject,
        resource: { type: req.resourceType, id },
        permission: req.permission,
        ...(req.consistency ? { consistency: req.consistency } : {}),
      })),
    );
    return ids.filter((_, i) => allowed[i] === true);
  }

  private relationship(
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

  private async write(
    updates: v1.RelationshipUpdate[],
    preconditions: v1.Precondition[] = [],
  ): Promise<WriteResult> {
    return this.tracked(
      () =>
        this.client.promises.writeRelationships(
          v1.WriteRelationshipsRequest.create({ updates, optionalPreconditions: preconditions }),
        ),
      (response) => response?.writtenAt,
    );
  }

  private edge(op: v1.RelationshipUpdate_Operation, req: RelationRequest): v1.RelationshipUpdate {
    const relation = req.relation ?? this.ownerRelation;
    if (!isValidRelationName(relation)) throw new ConfigurationError("invalid relation name");
    return v1.RelationshipUpdate.create({
      operation: op,
      // grant/revoke may name the wildcard subject (`user:*`, public access).
      relationship: this.relationship(req.resource, relation, req.subject, true),
    });
  }

  async grant(req: RelationRequest): Promise<WriteResult> {
    return this.write([this.edge(v1.RelationshipUpdate_Operation.TOUCH, req)]);
  }

  async revoke(req: RelationRequest): Promise<WriteResult> {
    return this.write([this.edge(v1.RelationshipUpdate_Operation.DELETE, req)]);
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

  async register(req: RegisterRequest): Promise<WriteResult> {
    const parentRelation = this.parentRelationFor(req);
    const resource = this.object(req.resource);
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
        relationship: this.relationship(req.resource, this.ownerRelation, req.subject),
      }),
    ];
    const preconditions = [mustBeAbsent(this.ownerRelation)];
    if (parentRelation) preconditions.push(mustBeAbsent(parentRelation));
    if (req.parent && parentRelation) {
      updates.push(
        v1.RelationshipUpdate.create({
          operation: v1.RelationshipUpdate_Operation.CREATE,
          relationship: this.relationship(req.resource, parentRelation, req.parent),
        }),
      );
    }
    try {
      return await this.write(updates, preconditions);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // Something is already registered: a retry of the same registration is a success.
      if (await this.isSameRegistration(req, parentRelation)) return {};
      throw error;
    }
  }

  /** Reads the owner and parent edges and compares them with the request. */
  private async isSameRegistration(
    req: RegisterRequest,
    parentRelation: string | undefined,
  ): Promise<boolean> {
    const resource = this.object(req.resource);
    const read = async (relation: string) => {
      const rows = await this.rpc(() =>
        this.client.promises.readRelationships(
          v1.ReadRelationshipsRequest.create({
            consistency: v1.Consistency.create({
              requirement: { oneofKind: "fullyConsistent", fullyConsistent: true },
            }),
            relationshipFilter: v1.RelationshipFilter.create({
              resourceType: resource.objectType,
              optionalResourceId: resource.objectId,
              optionalRelation: relation,
            }),
          }),
        ),
      );
      return rows.map((r) => r.relationship?.subject);
    };
    const sameSubject = (s: v1.SubjectReference | undefined, want: v1.SubjectReference) =>
      s?.object?.objectType === want.object?.objectType &&
      s?.object?.objectId === want.object?.objectId &&
      (s?.optionalRelation ?? "") === want.optionalRelation;
    const owners = await read(this.ownerRelation);
    // The subject must already be an owner (other owners may have been granted since).
    const me = this.subject(req.subject);
    if (!owners.some((o) => sameSubject(o, me))) return false;
    if (!parentRelation) return true;
    const parents = await read(parentRelation);
    if (!req.parent) return parents.length === 0;
    return parents.length === 1 && sameSubject(parents[0], this.subject(req.parent));
  }

  async deregister(req: DeregisterRequest): Promise<WriteResult> {
    const resource = this.object(req.resource);
    return this.tracked(
      () =>
        this.client.promises.deleteRelationships(
          v1.DeleteRelationshipsRequest.create({
            relationshipFilter: v1.RelationshipFilter.create({
              resourceType: resource.objectType,
              optionalResourceId: resource.objectId,
            }),
          }),
        ),
      (response) => response?.deletedAt,
    );
  }

  async close(): Promise<void> {
    if (this.owned) this.client.close?.();
  }
}

function permissionshipToBoolean(p: unknown): boolean {
  if (p === v1.CheckPermissionResponse_Permissionship.HAS_PERMISSION) return true;
  // Conditional means a caveat lacked context: not access.
  if (
    p === v1.CheckPermissionResponse_Permissionship.NO_PERMISSION ||
    p === v1.CheckPermissionResponse_Permissionship.CONDITIONAL_PERMISSION
  ) {
    return false;
  }
  throw new AuthorizationUnavailableError();
}

/**
 * The requirement that makes a read see every write this port has completed (read-your-writes).
 * A write that started after the last one completed is newer than all of them, and its token
 * covers them all. When writes overlap, their tokens decide if both carry integer revisions of
 * one datastore ({@link newerOf}); otherwise, or when a write failed with an unknown outcome, no
 * token is known to cover every write, and reads are fully consistent until a later write
 * settles it. (Taking the last token to arrive would let a read miss a newer write, or see a
 * revoked edge.)
 */
class Freshness {
  private clock = 0;
  private lastSettled = 0;
  private token: string | undefined;
  private unsettled = false;

  constructor(seenToken: string | undefined) {
    this.token = seenToken;
  }

  /** Marks a write's start; pass the result to {@link Freshness.settle}. */
  start(): number {
    this.clock += 1;
    return this.clock;
  }

  /** A write that started at `started` completed at `token`. */
  settle(started: number, token: string | undefined): void {
    const newerThanAll = started > this.lastSettled;
    this.clock += 1;
    this.lastSettled = this.clock;
    if (token && newerThanAll) {
      this.token = token;
      this.unsettled = false;
      return;
    }
    // Overlapping writes on a datastore whose revisions are integers (such as the memory
    // datastore): the tokens themselves say which is newer.
    const newer = token && !this.unsettled && this.token ? newerOf(token, this.token) : undefined;
    if (newer) {
      this.token = newer;
    } else {
      this.unsettled = true;
      this.token = token ?? this.token;
    }
  }

  /** A write failed in a way that may have written. */
  unknown(): void {
    this.clock += 1;
    this.lastSettled = this.clock;
    this.unsettled = true;
  }

  /** Undefined before any write (the caller's default, `minimizeLatency`, applies). */
  requirement(): Consistency | undefined {
    if (this.unsettled) return { kind: "fullyConsistent" };
    return this.token ? { kind: "atLeastAsFresh", token: this.token } : undefined;
  }
}

/**
 * The newer of two ZedTokens when both carry an integer revision of the same datastore;
 * undefined when that cannot be known (other revision formats are left alone).
 */
export function newerOf(a: string, b: string): string | undefined {
  const ra = integerRevision(a);
  const rb = integerRevision(b);
  if (!ra || !rb || ra.datastore !== rb.datastore) return undefined;
  return ra.revision >= rb.revision ? a : b;
}

/** Reads `DecodedZedToken { v1: { revision, datastore_unique_id_prefix } }`, integers only. */
function integerRevision(token: string): { revision: bigint; datastore: string } | undefined {
  const bytes = Buffer.from(token, "base64");
  const outer = fields(bytes);
  const v1 = outer?.get(3);
  const inner = v1 ? fields(v1) : undefined;
  const revision = inner?.get(1)?.toString("utf8");
  if (!revision || !/^\d{1,30}$/.test(revision)) return undefined;
  return { revision: BigInt(revision), datastore: inner?.get(2)?.toString("utf8") ?? "" };
}

/** Length-delimited fields of a protobuf message (field number -> bytes); undefined otherwise. */
function fields(bytes: Buffer): Map<number, Buffer> | undefined {
  const out = new Map<number, Buffer>();
  let i = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const byte = bytes[i++];
      if (byte === undefined) return undefined;
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
    return undefined;
  };
  while (i < bytes.length) {
    const tag = varint();
    if (tag === undefined || (tag & 7) !== 2) return undefined;
    const length = varint();
    if (length === undefined || i + length > bytes.length) return undefined;
    out.set(tag >>> 3, bytes.subarray(i, i + length));
    i += length;
  }
  return out;
}

/**
 * One requirement serves a whole bulk call, so it must satisfy every request in it: the
 * strongest among `wanted`, and `fullyConsistent` when two different tokens are wanted (tokens
 * are opaque, so neither is known to be the fresher). Undefined when none wants one.
 */
function strongest(wanted: readonly (Consistency | undefined)[]): Consistency | undefined {
  let result: Consistency | undefined;
  for (const c of wanted) {
    if (!c) continue;
    if (c.kind === "fullyConsistent") return c;
    if (c.kind === "atLeastAsFresh") {
      if (result?.kind === "atLeastAsFresh" && result.token !== c.token)
        return { kind: "fullyConsistent" };
      result = c;
    } else if (!result) {
      result = c;
    }
  }
  return result;
}
