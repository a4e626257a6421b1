// AuthorizationPort, the interface every backend implements, with its request and answer
// types, the consistency schema and the default relation.
import * as z from "zod/mini";
import type { Resource, Subject } from "./resources.js";

/**
 * What a consistency token may look like before any backend sees it: the characters of
 * base64 (SpiceDB's ZedTokens) and of simple opaque tokens, at most 1024 of them.
 */
const TOKEN = /^[A-Za-z0-9+/=_\-.:]{1,1024}$/;

/** @internal True when `token` is shaped like a consistency token (not that a backend accepts it). */
export function isWellFormedToken(token: unknown): token is string {
  return typeof token === "string" && TOKEN.test(token);
}

/** @internal Validates a {@link Consistency} given at run time (options, per-request settings). */
export const consistencySchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("minimizeLatency") }),
  z.object({ kind: z.literal("fullyConsistent") }),
  z.object({
    kind: z.literal("atLeastAsFresh"),
    token: z.string().check(z.refine(isWellFormedToken)),
  }),
]);

/**
 * How fresh a read must be. Maps to SpiceDB's consistency requirement.
 *
 * @example
 * ```ts
 * const consistency: Consistency = { kind: "atLeastAsFresh", token: row.authz_token };
 * const authz = authorizer.forSubject(user("alice"), { consistency });
 * ```
 */
export type Consistency =
  | { readonly kind: "minimizeLatency" }
  | { readonly kind: "atLeastAsFresh"; readonly token: string }
  | { readonly kind: "fullyConsistent" };

/**
 * May `subject` do `permission` on `resource`?
 *
 * @example
 * ```ts
 * const req: CheckRequest = { subject: user("alice"), resource: agent("a1"), permission: "read" };
 * const allowed = await port.check(req);
 * ```
 */
export interface CheckRequest {
  readonly subject: Subject;
  readonly resource: Resource;
  readonly permission: string;
  readonly consistency?: Consistency;
}

/**
 * Which ids of `resourceType` may `subject` do `permission` on?
 *
 * @example
 * ```ts
 * const req: LookupRequest = {
 *   subject: user("alice"), resourceType: "api_key", permission: "read", parent: agent("a1"),
 * };
 * const ids = await port.lookup(req); // null: unscoped
 * ```
 */
export interface LookupRequest {
  readonly subject: Subject;
  readonly resourceType: string;
  readonly permission: string;
  /**
   * Only resources registered under this parent (their parent edge points at it), such as one
   * agent's api keys. The cost then follows that parent's children, not everything the subject
   * can see. A port that cannot scope by parent throws `ConfigurationError`, never a wider list.
   */
  readonly parent?: Resource;
  readonly consistency?: Consistency;
}

/**
 * One edge: `resource#relation@subject`. `relation` defaults to the port's owner relation.
 *
 * @example
 * ```ts
 * const req: RelationRequest = { subject: user("bob"), resource: agent("a1"), relation: "viewer" };
 * await port.grant(req);
 * ```
 */
export interface RelationRequest {
  readonly subject: Subject;
  readonly resource: Resource;
  readonly relation?: string;
}

/**
 * Register `resource` as owned by `subject`, under `parent` when given.
 *
 * @example
 * ```ts
 * const req: RegisterRequest = {
 *   subject: user("alice"), resource: apiKey("k1"), parent: agent("a1"),
 * };
 * await port.register(req);
 * ```
 */
export interface RegisterRequest {
  readonly subject: Subject;
  readonly resource: Resource;
  readonly parent?: Resource;
}

/**
 * Remove every edge whose resource is `resource`. `subject`, when given, is who asks: a port
 * that speaks to a service passes it on (agentex-auth expects the principal on every call); a
 * port that writes the edges itself ignores it.
 *
 * @example
 * ```ts
 * const req: DeregisterRequest = { resource: apiKey("k1"), subject: user("alice") };
 * await port.deregister(req);
 * ```
 */
export interface DeregisterRequest {
  readonly resource: Resource;
  readonly subject?: Subject;
}

/**
 * Per-call options the authorizer passes to every port method. `signal` aborts when the
 * caller's deadline has passed (or the caller gave up): a port stops the call's work then
 * (cancels the gRPC call or stream, aborts the fetch) instead of letting it run on.
 *
 * @example
 * ```ts
 * const options: CallOptions = { signal: AbortSignal.timeout(500) };
 * const allowed = await port.check(req, options); // the port aborts its call past 500 ms
 * ```
 */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/**
 * Result of a write: the backend's consistency token (SpiceDB ZedToken) when it has one.
 *
 * @example
 * ```ts
 * const { token }: WriteResult = await authz.register(apiKey(id), { parent: agent(agentId) });
 * await db.insertApiKey({ id, agentId, authz_token: token ?? null }); // for atLeastAsFresh reads
 * ```
 */
export interface WriteResult {
  readonly token?: string;
}

/**
 * One page of the registrations of a type: see {@link AuthorizationPort.registrations}.
 *
 * @example
 * ```ts
 * const first: RegistrationsRequest = { resourceType: "api_key", limit: 500 };
 * const page = await port.registrations?.(first);
 * ```
 */
export interface RegistrationsRequest {
  /** The library-side type, e.g. `"api_key"`. */
  readonly resourceType: string;
  /** Where the previous page ended (its `cursor`); absent for the first page. */
  readonly cursor?: string;
  /** Most registrations in the page. */
  readonly limit: number;
}

/**
 * A registered object: every edge whose resource it is, as owners and parents.
 *
 * @example
 * ```ts
 * for (const r of page.items) console.log(r.id, r.owners.length, r.parents[0]?.id);
 * ```
 */
export interface Registration {
  readonly id: string;
  /** Subjects of its owner relation. */
  readonly owners: readonly Subject[];
  /** Objects of its parent relation. */
  readonly parents: readonly Resource[];
}

/**
 * A page of registrations, in ascending id order (byte order); no `cursor`: the last page.
 *
 * @example
 * ```ts
 * const req: RegistrationsRequest = { resourceType: "api_key", limit: 100 };
 * const page: RegistrationsPage = await port.registrations!(req);
 * const ids = page.items.map((r) => r.id); // page.cursor: where the next page starts
 * ```
 */
export interface RegistrationsPage {
  readonly items: readonly Registration[];
  readonly cursor?: string;
}

/**
 * The authorization port: what the library needs from a backend. Implemented by
 * `spicedbPort` (`fgac/spicedb`), `httpPort` (`fgac/http`) and `memoryPort` (`fgac/testing`).
 *
 * Contract: a port never answers `true` on an error; transport failures and malformed answers
 * throw `AuthorizationUnavailableError`. `register` is idempotent for the same owner and parent
 * and throws `ConflictError` (changing nothing) for a different owner or parent.
 *
 * @example
 * ```ts
 * const port: AuthorizationPort = process.env.NODE_ENV === "test"
 *   ? memoryPort()
 *   : spicedbPort({ endpoint: "spicedb:50051", token: process.env.SPICEDB_TOKEN! });
 * const authorizer = createAuthorizer({ port });
 * ```
 */
export interface AuthorizationPort {
  /** True only when the backend positively allowed the request. */
  check(req: CheckRequest, options?: CallOptions): Promise<boolean>;
  /** One answer per request, in the same order. */
  checkMany(reqs: readonly CheckRequest[], options?: CallOptions): Promise<boolean[]>;
  /**
   * Ids the subject has the permission on (under `req.parent` when given); `null` means
   * unscoped: no filter by id at all (a parent filter, if asked for, is still the caller's).
   */
  lookup(req: LookupRequest, options?: CallOptions): Promise<readonly string[] | null>;
  /** Writes one edge (relation default: the port's owner relation). Idempotent. */
  grant(req: RelationRequest, options?: CallOptions): Promise<WriteResult>;
  /** Removes one edge (relation default: the port's owner relation). Idempotent. */
  revoke(req: RelationRequest, options?: CallOptions): Promise<WriteResult>;
  /** Writes the owner edge and the parent edge atomically. */
  register(req: RegisterRequest, options?: CallOptions): Promise<WriteResult>;
  /** Removes every edge whose resource is this object, in one call. */
  deregister(req: DeregisterRequest, options?: CallOptions): Promise<WriteResult>;
  /**
   * The objects of a type that have any edge, with their owners and parents, in ascending id
   * order, a page at a time: what `reconcile` compares with the database's rows. Optional: a
   * port without it cannot be reconciled.
   */
  registrations?(req: RegistrationsRequest, options?: CallOptions): Promise<RegistrationsPage>;
  /** Releases connections. */
  close?(): Promise<void>;
  /** The backend's name in telemetry (`"spicedb"`, `"http"`, `"memory"`); default `"custom"`. */
  readonly backend?: string;
}

/**
 * The owner relation of a port whose options name none: what `register` writes and what
 * `grant` and `revoke` use without a relation. The port owns the default (its `ownerRelation`
 * option); the authorizer passes no relation when the caller gave none.
 *
 * @example
 * ```ts
 * await authorizer.forSubject(user("alice")).register(apiKey("k1")); // on a memoryPort()
 * port.edges[0]?.relation === DEFAULT_RELATION; // true: "owner"
 * ```
 */
export const DEFAULT_RELATION = "owner";
