// spicedbPort: an AuthorizationPort over SpiceDB through @authzed/authzed-node, its factory and
// the port class (checks, lookups, grants, idempotent registration, read-your-writes).
import { deadlineInterceptor, v1 } from "@authzed/authzed-node";
import {
  AuthorizationUnavailableError,
  ConfigurationError,
  ConflictError,
} from "../core/errors.js";
import {
  type AuthorizationPort,
  type CheckRequest,
  type Consistency,
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
  isValidRelationName,
  isValidTypeName,
  type Resource,
} from "../core/resources.js";
import { callSpiceDB } from "./errors.js";
import { Freshness, strongest } from "./freshness.js";
import { lookupResources, readChildren } from "./lookup.js";
import { bulkAnswer, Mapping, permissionshipToBoolean, toConsistency } from "./mapping.js";
import {
  DEFAULT_DEADLINE_MS,
  type SpiceDBClient,
  type SpiceDBConnection,
  type SpiceDBPortOptions,
  validateSpiceDBPortArgs,
} from "./options.js";
import { Registration } from "./registration.js";

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
  validateSpiceDBPortArgs(connection, options);
  if ("client" in connection) return new SpiceDBPort(connection.client, options, false, seenToken);
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
  return new SpiceDBPort(client, options, true, seenToken);
}

class SpiceDBPort implements AuthorizationPort {
  private readonly map: Mapping;
  private readonly ownerRelation: string;
  private readonly parentRelations: Record<string, string>;
  private readonly registration: Registration;
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
    this.map = new Mapping({ ...options.types });
    this.ownerRelation = options.ownerRelation ?? DEFAULT_RELATION;
    this.parentRelations = { ...options.parentRelations };
    this.registration = new Registration(
      client,
      this.map,
      this.ownerRelation,
      this.parentRelations,
    );
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.chunkSize = options.bulkChunkSize ?? 500;
  }

  /** What a request gets: its own requirement, else the port's default, else read-your-writes. */
  private effective(requested: Consistency | undefined): Consistency | undefined {
    return requested ?? this.options.consistency ?? this.freshness.requirement();
  }

  private consistency(requested: Consistency | undefined): v1.Consistency {
    return toConsistency(this.effective(requested));
  }

  async check(req: CheckRequest): Promise<boolean> {
    const item = this.map.checkItem(req);
    const response = await callSpiceDB(() =>
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
    const items = reqs.map((r) => this.map.checkItem(r));
    const consistency = this.consistency(strongest(reqs.map((r) => this.effective(r.consistency))));
    const results: boolean[] = [];
    for (let start = 0; start < items.length; start += this.chunkSize) {
      const chunk = items.slice(start, start + this.chunkSize);
      const response = await callSpiceDB(() =>
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
        results.push(bulkAnswer(pair, chunk[i]));
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
      resourceObjectType: this.map.typeOf(req.resourceType),
      permission: req.permission,
      subject: this.map.subject(req.subject),
    });
    return lookupResources(this.client, request, this.deadlineMs);
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
    const ids = await readChildren(
      this.client,
      this.consistency(req.consistency),
      this.map.typeOf(req.resourceType),
      relation,
      this.map.object(parent),
    );
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

  private async write(
    updates: v1.RelationshipUpdate[],
    preconditions: v1.Precondition[] = [],
  ): Promise<WriteResult> {
    return this.freshness.track(
      () =>
        callSpiceDB(() =>
          this.client.promises.writeRelationships(
            v1.WriteRelationshipsRequest.create({ updates, optionalPreconditions: preconditions }),
          ),
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

  async grant(req: RelationRequest): Promise<WriteResult> {
    return this.write([this.edge(v1.RelationshipUpdate_Operation.TOUCH, req)]);
  }

  async revoke(req: RelationRequest): Promise<WriteResult> {
    return this.write([this.edge(v1.RelationshipUpdate_Operation.DELETE, req)]);
  }

  async register(req: RegisterRequest): Promise<WriteResult> {
    const { updates, preconditions, parentRelation } = this.registration.write(req);
    try {
      return await this.write(updates, preconditions);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // Something is already registered: a retry of the same registration is a success.
      if (await this.registration.isSameRegistration(req, parentRelation)) return {};
      throw error;
    }
  }

  async deregister(req: DeregisterRequest): Promise<WriteResult> {
    const resource = this.map.object(req.resource);
    return this.freshness.track(
      () =>
        callSpiceDB(() =>
          this.client.promises.deleteRelationships(
            v1.DeleteRelationshipsRequest.create({
              relationshipFilter: v1.RelationshipFilter.create({
                resourceType: resource.objectType,
                optionalResourceId: resource.objectId,
              }),
            }),
          ),
        ),
      (response) => response?.deletedAt?.token,
    );
  }

  async close(): Promise<void> {
    if (this.owned) this.client.close?.();
  }
}
