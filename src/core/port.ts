// AuthorizationPort, the interface every backend implements, with its request and answer
// types, the consistency schema and the default relation.
import { z } from "zod";
import type { Resource, Subject } from "./resources.js";

/** Validates a {@link Consistency} given at run time (options, per-request settings). */
export const consistencySchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("minimizeLatency") }),
  z.object({ kind: z.literal("fullyConsistent") }),
  z.object({ kind: z.literal("atLeastAsFresh"), token: z.string().min(1) }),
]);

/** How fresh a read must be. Maps to SpiceDB's consistency requirement. */
export type Consistency =
  | { readonly kind: "minimizeLatency" }
  | { readonly kind: "atLeastAsFresh"; readonly token: string }
  | { readonly kind: "fullyConsistent" };

/** May `subject` do `permission` on `resource`? */
export interface CheckRequest {
  readonly subject: Subject;
  readonly resource: Resource;
  readonly permission: string;
  readonly consistency?: Consistency;
}

/** Which ids of `resourceType` may `subject` do `permission` on? */
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

/** One edge: `resource#relation@subject`. `relation` defaults to `"owner"`. */
export interface RelationRequest {
  readonly subject: Subject;
  readonly resource: Resource;
  readonly relation?: string;
}

/** Register `resource` as owned by `subject`, under `parent` when given. */
export interface RegisterRequest {
  readonly subject: Subject;
  readonly resource: Resource;
  readonly parent?: Resource;
}

/** Remove every edge whose resource is `resource`. */
export interface DeregisterRequest {
  readonly resource: Resource;
}

/** Result of a write: the backend's consistency token (SpiceDB ZedToken) when it has one. */
export interface WriteResult {
  readonly token?: string;
}

/**
 * The authorization port: what the library needs from a backend. Implemented by
 * `spicedbPort` (`fgac/spicedb`), `httpPort` (`fgac/http`) and `memoryPort` (`fgac/testing`).
 *
 * Contract: a port never answers `true` on an error; transport failures and malformed answers
 * throw `AuthorizationUnavailableError`. `register` is idempotent for the same owner and parent
 * and throws `ConflictError` (changing nothing) for a different owner or parent.
 */
export interface AuthorizationPort {
  /** True only when the backend positively allowed the request. */
  check(req: CheckRequest): Promise<boolean>;
  /** One answer per request, in the same order. */
  checkMany(reqs: readonly CheckRequest[]): Promise<boolean[]>;
  /**
   * Ids the subject has the permission on (under `req.parent` when given); `null` means
   * unscoped: no filter by id at all (a parent filter, if asked for, is still the caller's).
   */
  lookup(req: LookupRequest): Promise<readonly string[] | null>;
  /** Writes one edge (relation default `"owner"`). Idempotent. */
  grant(req: RelationRequest): Promise<WriteResult>;
  /** Removes one edge (relation default `"owner"`). Idempotent. */
  revoke(req: RelationRequest): Promise<WriteResult>;
  /** Writes the owner edge and the parent edge atomically. */
  register(req: RegisterRequest): Promise<WriteResult>;
  /** Removes every edge whose resource is this object, in one call. */
  deregister(req: DeregisterRequest): Promise<WriteResult>;
  /** Releases connections. */
  close?(): Promise<void>;
}

/** The relation `grant`, `revoke` and `register` use when none is given. */
export const DEFAULT_RELATION = "owner";
