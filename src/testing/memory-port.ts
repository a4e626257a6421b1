// memoryPort: an in-memory AuthorizationPort for users' unit tests: deny by default, explicit
// allow rules, owner and parent edges, every call recorded, failures on demand.
import * as z from "zod/mini";
import { AuthorizationUnavailableError, ConflictError } from "../core/errors.js";
import { parseOptions } from "../core/options.js";
import {
  type AuthorizationPort,
  type CallOptions,
  type CheckRequest,
  DEFAULT_RELATION,
  type DeregisterRequest,
  type LookupRequest,
  type RegisterRequest,
  type RegistrationsPage,
  type RegistrationsRequest,
  type RelationRequest,
  type WriteResult,
} from "../core/port.js";
import {
  assertResource,
  assertSubject,
  isValidRelationName,
  type Resource,
  type Subject,
} from "../core/resources.js";

/**
 * An explicit allow rule. Every field given must match; a field left out matches anything.
 * `{ subject: user("alice"), resource: { type: "api_key" }, permission: "read" }` lets alice
 * read every api key.
 *
 * @example
 * ```ts
 * const rule: AllowRule = {
 *   subject: { type: "user", id: "alice" },
 *   resource: { type: "api_key" },
 *   permission: ["read", "update"],
 * };
 * const port = memoryPort({ allow: [rule] });
 * ```
 */
export interface AllowRule {
  subject?: { type: string; id?: string; relation?: string };
  resource?: { type: string; id?: string };
  permission?: string | readonly string[];
}

/**
 * One recorded port call.
 *
 * @example
 * ```ts
 * const ops = port.calls.map((call: MemoryPortCall) => call.op); // e.g. ["register", "check"]
 * ```
 */
export type MemoryPortCall =
  | { op: "check"; req: CheckRequest }
  | { op: "checkMany"; req: readonly CheckRequest[] }
  | { op: "lookup"; req: LookupRequest }
  | { op: "grant"; req: RelationRequest }
  | { op: "revoke"; req: RelationRequest }
  | { op: "register"; req: RegisterRequest }
  | { op: "deregister"; req: DeregisterRequest }
  | { op: "registrations"; req: RegistrationsRequest };

/**
 * A port operation name.
 *
 * @example
 * ```ts
 * const writes: MemoryPortOp[] = ["grant", "revoke", "register", "deregister"];
 * port.fail(undefined, { ops: writes }); // reads go on, writes reject
 * ```
 */
export type MemoryPortOp = MemoryPortCall["op"];

/**
 * A stored edge.
 *
 * @example
 * ```ts
 * await authorizer.forSubject(user("alice")).register(apiKey("k1"), { parent: agent("a1") });
 * const parents: MemoryEdge[] = port.edges.filter((e) => e.relation === "parent");
 * ```
 */
export interface MemoryEdge {
  resource: Resource;
  relation: string;
  subject: Subject;
}

/**
 * Options of {@link memoryPort}.
 *
 * @example
 * ```ts
 * const options: MemoryPortOptions = {
 *   parentRelations: { api_key: "parent_agent", agent: "tenant" },
 * };
 * const port = memoryPort(options);
 * ```
 */
export interface MemoryPortOptions {
  /** Initial allow rules. */
  allow?: readonly AllowRule[];
  /** Owner relation (default `"owner"`): an owner edge grants every permission. */
  ownerRelation?: string;
  /** Resource type -> relation to its parent used by `register` (default `"parent"`). */
  parentRelations?: Record<string, string>;
}

const relationName = z.string().check(z.refine(isValidRelationName, "must be a relation name"));
const optionsSchema = z.object({
  allow: z.optional(z.array(z.looseObject({}))),
  ownerRelation: z.optional(relationName),
  parentRelations: z.optional(z.record(z.string(), relationName)),
});

/**
 * What {@link MemoryPort.fail} injects.
 *
 * @example
 * ```ts
 * const options: FailOptions = { ops: ["check"], hang: true }; // checks never settle
 * port.fail(undefined, options); // to exercise the authorizer's timeoutMs
 * ```
 */
export interface FailOptions {
  /** Only these operations fail (default: every operation). */
  ops?: readonly MemoryPortOp[];
  /** Fail this many times, then recover (default: until {@link MemoryPort.recover}). */
  times?: number;
  /** Never settle instead of rejecting, to exercise deadlines. */
  hang?: boolean;
}

/**
 * The in-memory port with its test controls.
 *
 * @example
 * ```ts
 * const port: MemoryPort = memoryPort();
 * const authorizer = createAuthorizer({ port, timing: false });
 * await authorizer.forSubject(user("alice")).register(apiKey("k1"));
 * expect(port.callsOf("register")).toHaveLength(1);
 * ```
 */
export interface MemoryPort extends AuthorizationPort {
  /** Every call, in order. */
  readonly calls: readonly MemoryPortCall[];
  /** The edges written by grant and register. */
  readonly edges: readonly MemoryEdge[];
  /** Adds an allow rule. */
  allow(rule: AllowRule): this;
  /** Makes calls fail (default: `AuthorizationUnavailableError`) to test fail-closed paths. */
  fail(error?: unknown, options?: FailOptions): this;
  /** Stops failing. */
  recover(): this;
  /** Forgets calls, edges, rules and failures. */
  reset(): this;
  /** Every object of a type that has an edge, a page at a time, in ascending id order. */
  registrations(req: RegistrationsRequest, options?: CallOptions): Promise<RegistrationsPage>;
  /** Calls of one operation. */
  callsOf<O extends MemoryPortOp>(op: O): Extract<MemoryPortCall, { op: O }>[];
}

function sameSubject(a: Subject, b: Subject): boolean {
  return a.type === b.type && a.id === b.id && (a.relation ?? "") === (b.relation ?? "");
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameResource(a: Resource, b: Resource): boolean {
  return a.type === b.type && a.id === b.id;
}

/**
 * An in-memory {@link AuthorizationPort} for users' unit tests. It denies by default; it allows
 * what explicit {@link AllowRule}s allow, plus direct edges written through it (an owner edge
 * grants every permission, any other edge grants the permission of the same name). There is
 * no schema: no inheritance through parents, no tenant gate. Use the embedded SpiceDB to test
 * real policies.
 *
 * @param options - initial rules, owner and parent relations
 * @returns the port, with `calls`, `allow`, `fail`, `recover` and `reset`
 * @example
 * ```ts
 * const port = memoryPort({ allow: [{ subject: user("alice"), resource: { type: "api_key" } }] });
 * port.fail(undefined, { ops: ["check"], times: 1 }); // the next check rejects
 * ```
 */
export function memoryPort(options: MemoryPortOptions = {}): MemoryPort {
  parseOptions("memoryPort", optionsSchema, options);
  const owner = options.ownerRelation ?? DEFAULT_RELATION;
  const parentRelations = { ...options.parentRelations };
  let rules: AllowRule[] = [...(options.allow ?? [])];
  let edges: MemoryEdge[] = [];
  let calls: MemoryPortCall[] = [];
  let failure:
    | { error: unknown; ops?: readonly MemoryPortOp[]; remaining: number; hang: boolean }
    | undefined;
  let version = 0;

  const token = (): WriteResult => ({ token: `memory-${++version}` });

  async function enter(call: MemoryPortCall): Promise<void> {
    calls.push(call);
    if (!failure) return;
    if (failure.ops && !failure.ops.includes(call.op)) return;
    if (failure.remaining <= 0) return;
    failure.remaining -= 1;
    if (failure.hang) await new Promise<never>(() => {});
    throw failure.error;
  }

  function ruleAllows(rule: AllowRule, req: CheckRequest): boolean {
    if (rule.subject) {
      const s = rule.subject;
      if (s.type !== req.subject.type) return false;
      if (s.id !== undefined && s.id !== req.subject.id) return false;
      if (s.relation !== undefined && s.relation !== req.subject.relation) return false;
    }
    if (rule.resource) {
      if (rule.resource.type !== req.resource.type) return false;
      if (rule.resource.id !== undefined && rule.resource.id !== req.resource.id) return false;
    }
    if (rule.permission !== undefined) {
      const perms = typeof rule.permission === "string" ? [rule.permission] : rule.permission;
      if (!perms.includes(req.permission)) return false;
    }
    return true;
  }

  function decide(req: CheckRequest): boolean {
    assertSubject(req.subject);
    assertResource(req.resource);
    if (rules.some((r) => ruleAllows(r, req))) return true;
    return edges.some(
      (e) =>
        sameResource(e.resource, req.resource) &&
        sameSubject(e.subject, req.subject) &&
        (e.relation === owner || e.relation === req.permission),
    );
  }

  const port: MemoryPort = {
    get calls() {
      return calls;
    },
    get edges() {
      return edges;
    },
    allow(rule) {
      rules.push(rule);
      return port;
    },
    fail(error = new AuthorizationUnavailableError(), failOptions = {}) {
      failure = {
        error,
        remaining: failOptions.times ?? Number.POSITIVE_INFINITY,
        hang: failOptions.hang ?? false,
        ...(failOptions.ops ? { ops: failOptions.ops } : {}),
      };
      return port;
    },
    recover() {
      failure = undefined;
      return port;
    },
    reset() {
      rules = [];
      edges = [];
      calls = [];
      failure = undefined;
      return port;
    },
    callsOf(op) {
      return calls.filter((c) => c.op === op) as never;
    },
    async check(req) {
      await enter({ op: "check", req });
      return decide(req);
    },
    async checkMany(reqs) {
      await enter({ op: "checkMany", req: reqs });
      return reqs.map(decide);
    },
    async lookup(req) {
      await enter({ op: "lookup", req });
      assertSubject(req.subject);
      const probe = (id: string): CheckRequest => ({
        subject: req.subject,
        resource: { type: req.resourceType, id },
        permission: req.permission,
      });
      // A rule that allows a whole type for this subject means "unscoped".
      const wholeType = rules.some(
        (r) => r.resource?.id === undefined && ruleAllows(r, probe("x")),
      );
      if (wholeType) return null;
      const candidates = new Set<string>();
      for (const r of rules)
        if (r.resource?.type === req.resourceType && r.resource.id) candidates.add(r.resource.id);
      for (const e of edges)
        if (e.resource.type === req.resourceType) candidates.add(e.resource.id);
      const { parent } = req;
      if (parent) assertResource(parent);
      const parentRelation = parentRelations[req.resourceType] ?? "parent";
      // Under a parent: only the resources whose parent edge points at it.
      const underParent = (id: string) =>
        !parent ||
        edges.some(
          (e) =>
            e.resource.type === req.resourceType &&
            e.resource.id === id &&
            e.relation === parentRelation &&
            sameSubject(e.subject, parent),
        );
      return [...candidates].filter((id) => underParent(id) && decide(probe(id)));
    },
    async grant(req) {
      await enter({ op: "grant", req });
      assertSubject(req.subject, true);
      assertResource(req.resource);
      const relation = req.relation ?? owner;
      const exists = edges.some(
        (e) =>
          sameResource(e.resource, req.resource) &&
          e.relation === relation &&
          sameSubject(e.subject, req.subject),
      );
      if (!exists) edges.push({ resource: req.resource, relation, subject: req.subject });
      return token();
    },
    async revoke(req) {
      await enter({ op: "revoke", req });
      const relation = req.relation ?? owner;
      edges = edges.filter(
        (e) =>
          !(
            sameResource(e.resource, req.resource) &&
            e.relation === relation &&
            sameSubject(e.subject, req.subject)
          ),
      );
      return token();
    },
    async register(req) {
      await enter({ op: "register", req });
      assertSubject(req.subject);
      assertResource(req.resource);
      if (req.parent) assertResource(req.parent);
      const parentRelation = parentRelations[req.resource.type] ?? "parent";
      const mine = edges.filter((e) => sameResource(e.resource, req.resource));
      const owners = mine.filter((e) => e.relation === owner);
      const parents = mine.filter((e) => e.relation === parentRelation);
      if (owners.length > 0 || parents.length > 0) {
        const sameOwner = owners.some((o) => sameSubject(o.subject, req.subject));
        const sameParent = req.parent
          ? parents.length === 1 && sameSubject(parents[0]!.subject, req.parent)
          : parents.length === 0;
        if (sameOwner && sameParent) return {};
        throw new ConflictError();
      }
      edges.push({ resource: req.resource, relation: owner, subject: req.subject });
      if (req.parent)
        edges.push({ resource: req.resource, relation: parentRelation, subject: req.parent });
      return token();
    },
    async deregister(req) {
      await enter({ op: "deregister", req });
      assertResource(req.resource);
      edges = edges.filter((e) => !sameResource(e.resource, req.resource));
      return token();
    },
    async registrations(req) {
      await enter({ op: "registrations", req });
      const after = req.cursor ?? "";
      const ids = [
        ...new Set(
          edges.filter((e) => e.resource.type === req.resourceType).map((e) => e.resource.id),
        ),
      ]
        .filter((id) => id > after)
        .sort(byteOrder);
      const page = ids.slice(0, req.limit);
      const items = page.map((id) => {
        const mine = edges.filter(
          (e) => e.resource.type === req.resourceType && e.resource.id === id,
        );
        const parentRelation = parentRelations[req.resourceType] ?? "parent";
        return {
          id,
          owners: mine.filter((e) => e.relation === owner).map((e) => e.subject),
          parents: mine
            .filter((e) => e.relation === parentRelation)
            .map((e) => ({ type: e.subject.type, id: e.subject.id })),
        };
      });
      const last = page[page.length - 1];
      return ids.length > page.length && last !== undefined ? { items, cursor: last } : { items };
    },
    async close() {},
    backend: "memory",
  };
  return port;
}
