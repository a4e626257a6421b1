// spicedbPort: an AuthorizationPort over SpiceDB through @authzed/authzed-node, its factory and
// the port class (checks, lookups, grants, idempotent registration, read-your-writes).
import { deadlineInterceptor, v1 } from "@authzed/authzed-node";
import { ConfigurationError, ConflictError } from "../core/errors.js";
import {
  type AuthorizationPort,
  type CallOptions,
  type CheckRequest,
  type Consistency,
  DEFAULT_RELATION,
  type DeregisterRequest,
  type LookupRequest,
  type RegisterRequest,
  type RegistrationsPage,
  type RegistrationsRequest,
  type RelationRequest,
  type WriteResult,
} from "../core/port.js";
import { assertSubject, isValidRelationName, isValidTypeName } from "../core/resources.js";
import { abortedError, SpiceDBCalls } from "./calls.js";
import { checkBulk } from "./checks.js";
import { CheckCoalescer } from "./coalesce.js";
import { Freshness, strongest } from "./freshness.js";
import { Lookups } from "./lookup.js";
import { Mapping, permissionshipToBoolean, toConsistency } from "./mapping.js";
import {
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_LOOKUP_IDS,
  DEFAULT_MAX_PARENT_CHILDREN,
  type SpiceDBClient,
  type SpiceDBConnection,
  type SpiceDBPortOptions,
  validateSpiceDBPortArgs,
} from "./options.js";
import { Registration } from "./registration.js";
import { readRegistrations } from "./registrations.js";

/** The longest a coalesced batch waits for a call in flight before it is sent anyway. */
const MAX_DEFER_MS = 25;

/**
 * An {@link AuthorizationPort} over SpiceDB through `@authzed/authzed-node`.
 *
 * - `register` writes the owner edge and the parent edge in one `WriteRelationships` call,
 *   guarded by preconditions: a retry with the same owner and parent succeeds and changes
 *   nothing; another owner or parent throws `ConflictError` and changes nothing.
 * - `deregister` deletes every relationship whose resource is the object, in one call.
 * - `check` is coalesced (option `coalesce`, on by default): the checks of concurrent
 *   requests made within one event-loop turn go out as one `CheckBulkPermissions` per
 *   consistency requirement, each caller with its own answer, error and cancellation.
 * - `checkMany` uses `CheckBulkPermissions` in chunks; `lookup` streams `LookupResources`
 *   (at most `maxLookupIds` ids); a lookup under a parent reads at most `maxParentChildren`
 *   children (see {@link SpiceDBPortOptions}).
 * - Every method takes `{ signal }`: once it has aborted no call is made, and a call in flight
 *   is cancelled (`LookupResources` always; unary calls on the wire when the port connects to
 *   `endpoint` itself) and rejects at once with `AuthorizationUnavailableError`.
 * - Errors: outages fail closed (`AuthorizationUnavailableError`, `transient` for unavailable
 *   and reset connections), schema mismatches are `ConfigurationError`s, a consistency token
 *   SpiceDB rejects is `InvalidConsistencyTokenError` (see {@link mapSpiceDBError}).
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
  validateSpiceDBPortArgs(connection, options);
  if ("client" in connection) {
    return new SpiceDBPort(connection.client, options, undefined, seenToken);
  }
  const client = v1.NewClient(
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
  // The port's own client: its callback methods are grpc-js's, so calls can be cancelled.
  return new SpiceDBPort(client, options, client, seenToken);
}

class SpiceDBPort implements AuthorizationPort {
  readonly backend = "spicedb";
  private readonly calls: SpiceDBCalls;
  private readonly map: Mapping;
  private readonly ownerRelation: string;
  private readonly parentRelations: Record<string, string>;
  private readonly registration: Registration;
  private readonly lookups: Lookups;
  private readonly chunkSize: number;
  private readonly freshness: Freshness;
  private readonly coalescer: CheckCoalescer | undefined;

  /** @param owned - the client when the port created it (then it closes it and cancels its calls) */
  constructor(
    client: SpiceDBClient,
    private readonly options: SpiceDBPortOptions,
    private readonly owned: v1.ZedClientInterface | undefined,
    seenToken: string | undefined,
  ) {
    this.calls = new SpiceDBCalls(client, owned);
    this.freshness = new Freshness(seenToken);
    this.map = new Mapping({ ...options.types });
    this.ownerRelation = options.ownerRelation ?? DEFAULT_RELATION;
    this.parentRelations = { ...options.parentRelations };
    this.registration = new Registration(
      this.calls,
      this.map,
      this.ownerRelation,
      this.parentRelations,
    );
    this.chunkSize = options.bulkChunkSize ?? 500;
    const { coalesce = true } = options;
    this.coalescer =
      coalesce === false
        ? undefined
        : new CheckCoalescer(this.calls, {
            windowMs: coalesce === true ? 0 : (coalesce.windowMs ?? 0),
            maxBatch: this.chunkSize,
            maxInFlight:
              coalesce === true
                ? DEFAULT_MAX_IN_FLIGHT
                : (coalesce.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT),
            maxDeferMs: MAX_DEFER_MS,
          });
    this.lookups = new Lookups(this.calls, this.map, {
      deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
      maxIds: options.maxLookupIds ?? DEFAULT_MAX_LOOKUP_IDS,
      maxChildren: options.maxParentChildren ?? DEFAULT_MAX_PARENT_CHILDREN,
      chunkSize: this.chunkSize,
    });
  }

  /** What a request gets: its own requirement, else the port's default, else read-your-writes. */
  private effective(requested: Consistency | undefined): Consistency | undefined {
    return requested ?? this.options.consistency ?? this.freshness.requirement();
  }

  private consistency(requested: Consistency | undefined): v1.Consistency {
    return toConsistency(this.effective(requested));
  }

  async check(req: CheckRequest, options?: CallOptions): Promise<boolean> {
    const item = this.map.checkItem(req);
    if (this.coalescer) {
      // The requirement is fixed now, when the check is asked: read-your-writes holds for
      // every write completed before it, whatever batch it joins.
      return this.coalescer.check(item, this.effective(req.consistency), options?.signal);
    }
    const response = await this.calls.unary(
      "checkPermission",
      v1.CheckPermissionRequest.create({ ...item, consistency: this.consistency(req.consistency) }),
      options?.signal,
    );
    return permissionshipToBoolean(response?.permissionship);
  }

  async checkMany(reqs: readonly CheckRequest[], options?: CallOptions): Promise<boolean[]> {
    if (reqs.length === 0) return [];
    const items = reqs.map((r) => this.map.checkItem(r));
    const consistency = this.consistency(strongest(reqs.map((r) => this.effective(r.consistency))));
    return checkBulk(this.calls, items, consistency, this.chunkSize, options?.signal);
  }

  async lookup(req: LookupRequest, options?: CallOptions): Promise<readonly string[]> {
    assertSubject(req.subject);
    if (!isValidTypeName(req.resourceType) || !isValidRelationName(req.permission)) {
      throw new ConfigurationError("invalid resource type or permission name");
    }
    const consistency = this.consistency(req.consistency);
    const signal = options?.signal;
    if (!req.parent) return this.lookups.all(req, consistency, signal);
    const relation = this.parentRelations[req.resourceType];
    if (!relation) {
      throw new ConfigurationError(
        `spicedbPort: a lookup under a parent needs parentRelations["${req.resourceType}"]`,
      );
    }
    return this.lookups.under(req, req.parent, relation, consistency, signal);
  }

  private async write(
    updates: v1.RelationshipUpdate[],
    preconditions: v1.Precondition[],
    signal: AbortSignal | undefined,
  ): Promise<WriteResult> {
    // Refused before the write is tracked: a write never sent leaves read-your-writes as it was.
    if (signal?.aborted) throw abortedError(signal);
    return this.freshness.track(
      () =>
        this.calls.unary(
          "writeRelationships",
          v1.WriteRelationshipsRequest.create({ updates, optionalPreconditions: preconditions }),
          signal,
        ),
      (response) => response?.writtenAt?.token,
    );
  }

  private edge(op: v1.RelationshipUpdate_Operation, req: RelationRequest): v1.RelationshipUpdate {
    const relation = req.relation ?? this.ownerRelation;
    if (!isValidRelationName(relation)) throw new ConfigurationError("invalid relation name");
    return v1.RelationshipUpdate.create({
      operation: op,
      // grant/revoke may name the wildcard subject (`user:*`, public access).
      relationship: this.map.relationship(req.resource, relation, req.subject, true),
    });
  }

  async grant(req: RelationRequest, options?: CallOptions): Promise<WriteResult> {
    return this.write([this.edge(v1.RelationshipUpdate_Operation.TOUCH, req)], [], options?.signal);
  }

  async revoke(req: RelationRequest, options?: CallOptions): Promise<WriteResult> {
    return this.write(
      [this.edge(v1.RelationshipUpdate_Operation.DELETE, req)],
      [],
      options?.signal,
    );
  }

  async register(req: RegisterRequest, options?: CallOptions): Promise<WriteResult> {
    const { updates, preconditions, parentRelation } = this.registration.write(req);
    const signal = options?.signal;
    try {
      return await this.write(updates, preconditions, signal);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // Something is already registered: a retry of the same registration is a success.
      if (await this.registration.isSameRegistration(req, parentRelation, signal)) return {};
      throw error;
    }
  }

  async deregister(req: DeregisterRequest, options?: CallOptions): Promise<WriteResult> {
    const resource = this.map.object(req.resource);
    const signal = options?.signal;
    if (signal?.aborted) throw abortedError(signal);
    return this.freshness.track(
      () =>
        this.calls.unary(
          "deleteRelationships",
          v1.DeleteRelationshipsRequest.create({
            relationshipFilter: v1.RelationshipFilter.create({
              resourceType: resource.objectType,
              optionalResourceId: resource.objectId,
            }),
          }),
          signal,
        ),
      (response) => response?.deletedAt?.token,
    );
  }

  /** See `readRegistrations` (`registrations.ts`): reconcile's paged read of a type's edges. */
  registrations(req: RegistrationsRequest, options?: CallOptions): Promise<RegistrationsPage> {
    const { calls, map, ownerRelation, parentRelations } = this;
    const context = {
      calls,
      map,
      ownerRelation,
      parentRelations,
      types: { ...this.options.types },
    };
    return readRegistrations(context, req, options?.signal);
  }

  async close(): Promise<void> {
    this.owned?.close();
  }
}
