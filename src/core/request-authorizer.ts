// RequestAuthorizer: the authorization operations of one request, bound to its caller (a
// subject, nobody, or a logged bypass), and CallerAuthorizer, its one implementation.
import {
  type CollapsePolicy,
  collapseQuestions,
  decideCollapse,
  READ_PERMISSION,
} from "./collapse.js";
import type { CursorSeal } from "./cursor.js";
import {
  AuthorizationError,
  ConfigurationError,
  hasFgacCode,
  NotFoundError,
  UnauthenticatedError,
} from "./errors.js";
import type { CallFields, GuardedPort, WriteOp } from "./guarded-port.js";
import type { Logger } from "./logger.js";
import {
  type Page,
  type PageAccess,
  type PageCosts,
  type PageOptions,
  type PageRow,
  paginate,
  parsePageOptions,
} from "./page.js";
import type { AuthorizationPort, CallOptions, Consistency, WriteResult } from "./port.js";
import {
  assertResource,
  isValidId,
  isValidRelationName,
  isValidTypeName,
  notFoundMessageOf,
  type PermissionOf,
  type Resource,
  type ResourceKind,
  readPermissionOf,
  type Subject,
} from "./resources.js";
import type { Telemetry } from "./telemetry.js";
import type { DenialTiming, TimingWindow } from "./timing.js";

/**
 * Options of {@link RequestAuthorizer.checkOrNotFound}.
 *
 * @example
 * ```ts
 * await authz.checkOrNotFound(apiKey(id), "delete", { collapse: "always" });
 * ```
 */
export interface CheckOrNotFoundOptions {
  /** The 404 message; default the kind's `notFoundMessage`. Must not contain identifiers. */
  message?: string;
  /** Overrides the authorizer's collapse policy for this call. */
  collapse?: CollapsePolicy;
  /**
   * When the work this 404 must hide began, as a `performance.now()` time: e.g. before a row
   * was looked up by name, whose time differs with the row being there or not. A denial then
   * ends no sooner than the floor counted from it, kept in a window of its own (see
   * `findOrNotFound`, which passes it). Default: the start of this call.
   * @throws `ConfigurationError` for a time later than now, or more than a minute ago
   */
  startedAt?: number;
}

/**
 * Options of {@link RequestAuthorizer.authorizedIds}.
 *
 * @example
 * ```ts
 * const ids = await authz.authorizedIds(apiKey, "read", { parent: agent(agentId) });
 * ```
 */
export interface AuthorizedIdsOptions {
  /** Only resources registered under this parent, e.g. `agent("a1")` for its api keys. */
  parent?: Resource;
}

/**
 * Options of {@link RequestAuthorizer.register}.
 *
 * @example
 * ```ts
 * await authz.register(apiKey(id), { parent: agent(agentId) });
 * ```
 */
export interface RegisterOptions {
  /** The parent the resource lives under (agent for an api key, tenant for an agent). */
  parent?: Resource;
}

/**
 * The authorization operations of one request, bound to its subject.
 *
 * @example
 * ```ts
 * const authz = authorizer.forSubject(user("alice"));
 * await authz.checkOrNotFound(apiKey(id), "read");
 * ```
 */
export interface RequestAuthorizer {
  /** True for an authorizer made by `Authorizer.bypass`. */
  readonly bypassed: boolean;
  /** True when a subject is bound (false for `forSubject(null)` and for bypass). */
  readonly authenticated: boolean;
  /** The authorizer's logger, for helpers such as `deleteDeregistered`. */
  readonly logger: Logger;
  /**
   * Resolves when allowed.
   * @throws {@link AuthorizationError} when denied (a denial cannot be ignored)
   * @throws `AuthorizationUnavailableError` when the backend fails or times out
   */
  check<R extends Resource>(resource: R, permission: PermissionOf<R>): Promise<void>;
  /**
   * The decision as a boolean.
   * @throws `AuthorizationUnavailableError` when the backend fails: never `true` on error
   */
  can<R extends Resource>(resource: R, permission: PermissionOf<R>): Promise<boolean>;
  /**
   * One decision per resource, in the same order, in one bulk call to the port instead of one
   * round trip each (the measured ratio is in `docs/benchmarks.md`).
   * For flags such as "deletable" on rows already listed; to filter a list, push
   * {@link RequestAuthorizer.authorizedIds} into the query instead.
   * @throws `InvalidIdentifierError` when any resource's id is invalid
   * @throws `AuthorizationUnavailableError` when the backend fails: never `true` on error
   * @example
   * ```ts
   * const deletable = await authz.canMany(rows.map((r) => apiKey(r.id)), "delete");
   * ```
   */
  canMany<R extends Resource>(
    resources: readonly R[],
    permission: PermissionOf<R>,
  ): Promise<boolean[]>;
  /**
   * Resolves when allowed; otherwise throws what the collapse policy says. An id no backend
   * could hold answers the same 404 as an absent resource, without a backend call.
   * @throws {@link NotFoundError} with the kind's constant message, or {@link AuthorizationError}
   */
  checkOrNotFound<R extends Resource>(
    resource: R,
    permission: PermissionOf<R>,
    options?: CheckOrNotFoundOptions,
  ): Promise<void>;
  /**
   * Ids of a type the subject has `permission` on (default `"read"`); `null` means unscoped.
   * Feed it to `withAuthorizedIds`. With `{ parent }`, only the children of that parent
   * (one agent's api keys): the lookup then costs what that parent holds, not what the subject
   * can see, and the id list pushed into the query stays short. Keep the parent filter in the
   * query too: `null` does not filter by parent.
   * @throws `ConfigurationError` when the port cannot scope a lookup by parent
   */
  authorizedIds<K extends ResourceKind | string>(
    kindOrType: K,
    permission?: K extends ResourceKind<string, infer P> ? P : string,
    options?: AuthorizedIdsOptions,
  ): Promise<string[] | null>;
  /**
   * One page of the rows the subject has `permission` on, in the application's key order,
   * with the cursor of the next page. `candidates(after, limit, filter?)` is the application's
   * keyset query. The page adapts to how many rows the subject can read:
   * - it reads candidate rows after the cursor and bulk-checks them (one `canMany` per batch),
   *   sizing each batch from the share of readable rows seen so far, until the page is full;
   * - when that share is too low to fill the page within its budgets (the subject's rows are
   *   sparse, or all further on), it looks up the subject's readable ids once
   *   (`authorizedIds`) and pushes them into the query (`filter.ids`); if that lookup fails
   *   (unavailable, past the deadline, too many ids) it goes on checking candidates.
   * - it remembers, per resource type and permission in this authorizer (any subject), how
   *   long lookups and checking took; once a finished lookup was cheaper than checking, later
   *   pages look up first, giving up on a lookup once it has taken what checking takes (a
   *   subject who can read far more). Durations only: no id or answer is kept.
   * - its work is bounded: at most `maxCandidates` rows read (default 5000) and about
   *   `budgetMs` spent checking (default 1500); past them it answers the rows it has, with a
   *   `next` to resume from. Keep reading while `next` is set; a page may be short.
   * Rows with an id no backend could hold are never readable. A bypass reads rows unfiltered;
   * no subject gets an empty page. See `docs/benchmarks.md` for what each way costs.
   * @throws `ConfigurationError` for invalid options
   * @throws `AuthorizationUnavailableError` when a bulk check fails
   * @example
   * ```ts
   * const { items, next } = await authz.page(apiKey, "read", {
   *   limit: 50,
   *   after: req.query.after,
   *   candidates: (after, limit, filter) =>
   *     sql`select * from keys where (${after ?? null}::text is null or id > ${after})
   *         and (${filter?.ids ?? null}::text[] is null or id = any(${filter?.ids ?? null}))
   *         order by id limit ${limit}`,
   * });
   * ```
   */
  page<K extends ResourceKind | string, Row extends PageRow>(
    kindOrType: K,
    permission: K extends ResourceKind<string, infer P> ? P : string,
    options: PageOptions<Row>,
  ): Promise<Page<Row>>;
  /** Writes `resource#relation@subject` (relation default: the port's owner relation). */
  grant(resource: Resource, relation?: string): Promise<WriteResult>;
  /** Removes `resource#relation@subject` (relation default: the port's owner relation). */
  revoke(resource: Resource, relation?: string): Promise<WriteResult>;
  /**
   * Registers the subject as owner of `resource`, under `parent`, atomically.
   * @throws `ConflictError` when it is registered under another owner or parent
   */
  register(resource: Resource, options?: RegisterOptions): Promise<WriteResult>;
  /** Removes every edge of `resource`. */
  deregister(resource: Resource): Promise<WriteResult>;
}

/** @internal What every request authorizer of one `createAuthorizer` shares. */
export interface AuthorizerContext {
  readonly port: GuardedPort;
  readonly logger: Logger;
  readonly defaultCollapse: CollapsePolicy;
  readonly decisionLogLevel: "info" | "debug";
  readonly telemetry: Telemetry;
  /** The floor under collapsed denials; absent when `timing: false`. */
  readonly timing: DenialTiming | undefined;
  /** What pages have cost, per `type#permission` (durations only; see {@link PageCosts}). */
  readonly pageCosts: Map<string, PageCosts>;
  /** Seals the cursors pages hand out, and opens those they are given back. */
  readonly cursors: CursorSeal;
}

/** Most `type#permission` entries of {@link AuthorizerContext.pageCosts} kept. */
const MAX_PAGE_COSTS = 1024;

/** @internal Who a request authorizer acts for. */
export type Caller =
  | { kind: "subject"; subject: Subject }
  | { kind: "anonymous" }
  | { kind: "bypass"; reason: string };

type Question = { resource: Resource; permission: string };

/** The start of a guarded call: `startedAt` when given (a `performance.now()` time), else now. */
function startOf(startedAt: unknown): number {
  const now = performance.now();
  if (startedAt === undefined) return now;
  if (typeof startedAt !== "number" || !(startedAt <= now && startedAt >= now - 60_000)) {
    throw new ConfigurationError(
      "checkOrNotFound: startedAt must be a performance.now() time of the last minute",
    );
  }
  return startedAt;
}

function assertPermission(permission: unknown): asserts permission is string {
  if (!isValidRelationName(permission)) {
    throw new ConfigurationError("invalid permission or relation name");
  }
}

/** @internal The request authorizer of one caller. */
export class CallerAuthorizer implements RequestAuthorizer {
  readonly bypassed: boolean;
  readonly authenticated: boolean;
  readonly logger: Logger;
  /** Added to every read request when the caller asked for one. */
  private readonly reads: { consistency?: Consistency };

  constructor(
    private readonly context: AuthorizerContext,
    private readonly caller: Caller,
    consistency?: Consistency,
  ) {
    this.reads = consistency ? { consistency } : {};
    this.bypassed = caller.kind === "bypass";
    this.authenticated = caller.kind === "subject";
    this.logger = context.logger;
  }

  async can<R extends Resource>(resource: R, permission: PermissionOf<R>): Promise<boolean> {
    const [allowed = false] = await this.decide([{ resource, permission }]);
    this.logDecision(resource, permission, allowed);
    return allowed;
  }

  async canMany<R extends Resource>(resources: readonly R[], permission: PermissionOf<R>) {
    if (!Array.isArray(resources))
      throw new ConfigurationError("canMany: pass an array of resources");
    const answers = await this.decide(resources.map((resource) => ({ resource, permission })));
    resources.forEach((resource, i) => {
      this.logDecision(resource, permission, answers[i] === true);
    });
    return answers;
  }

  async check<R extends Resource>(resource: R, permission: PermissionOf<R>): Promise<void> {
    if (!(await this.can(resource, permission))) throw new AuthorizationError();
  }

  async checkOrNotFound<R extends Resource>(
    resource: R,
    permission: PermissionOf<R>,
    options: CheckOrNotFoundOptions = {},
  ): Promise<void> {
    const started = startOf(options.startedAt);
    const message = options.message ?? notFoundMessageOf(resource);
    const policy = options.collapse ?? this.context.defaultCollapse;
    const readPermission = readPermissionOf(resource);
    const questions = collapseQuestions(policy, permission, readPermission);
    const timing = this.timingOf(resource, questions, options.startedAt !== undefined);
    let answers: boolean[] | undefined;
    try {
      answers = await this.decide(questions.map((p) => ({ resource, permission: p })));
      timing?.record(performance.now() - started);
      this.logDecision(resource, permission, answers[0] === true);
    } catch (error) {
      if (!hasFgacCode(error, "invalid_identifier")) throw error;
    }
    const outcome = decideCollapse({ policy, permission, readPermission, answers });
    if (outcome === "forbidden") throw new AuthorizationError();
    if (outcome === "not_found") {
      // Absent, hidden or invalid: each ends no sooner than the floor (see timing.ts).
      await timing?.pad(started);
      throw new NotFoundError(message);
    }
  }

  /** The timing window of a subject's questions about `resource` (none for bypass, anonymous). */
  private timingOf(
    resource: Resource,
    permissions: readonly string[],
    lookup = false,
  ): TimingWindow | undefined {
    if (this.caller.kind !== "subject" || !isValidTypeName(resource?.type)) return undefined;
    return this.context.timing?.of(resource.type, permissions, lookup);
  }

  async authorizedIds<K extends ResourceKind | string>(
    kindOrType: K,
    permission?: K extends ResourceKind<string, infer P> ? P : string,
    options: AuthorizedIdsOptions = {},
  ): Promise<string[] | null> {
    const resourceType = typeof kindOrType === "string" ? kindOrType : kindOrType.type;
    const perm: string | null =
      permission ??
      (typeof kindOrType === "string" ? READ_PERMISSION : (kindOrType.readPermission ?? null));
    if (perm === null) {
      throw new ConfigurationError(
        "authorizedIds: this kind has no readPermission; name the permission",
      );
    }
    if (!isValidTypeName(resourceType)) throw new ConfigurationError("invalid resource type name");
    assertPermission(perm);
    const { parent } = options;
    if (parent !== undefined) assertResource(parent);
    const fields = {
      fgac: "lookup",
      resourceType,
      permission: perm,
      ...(parent ? { parentType: parent.type, parentId: parent.id } : {}),
    };
    if (this.caller.kind === "bypass") {
      const bypass = { unscoped: true, bypass: true, reason: this.caller.reason };
      this.logger.info({ ...fields, ...bypass }, "fgac: lookup bypassed");
      return null;
    }
    const log = (extra: CallFields) =>
      this.logger[this.context.decisionLogLevel]({ ...fields, ...extra }, "fgac: lookup");
    if (this.caller.kind === "anonymous") {
      log({ count: 0, anonymous: true });
      return [];
    }
    const { fgac: _, ...callFields } = fields;
    if (parent !== undefined && !(await this.seesParent(parent))) {
      // A parent the subject may not see answers exactly like an absent one: nothing, and
      // without reading its children (their number would show in the time taken).
      log({ count: 0 });
      return [];
    }
    const ids = await this.context.port.lookup(
      {
        subject: this.caller.subject,
        resourceType,
        permission: perm,
        ...(parent ? { parent } : {}),
        ...this.reads,
      },
      callFields,
    );
    log(ids === null ? { unscoped: true } : { count: ids.length });
    return ids;
  }

  /** This authorizer's costs of pages of `resourceType` and `permission`, made on first use. */
  private pageCosts(resourceType: string, permission: string): PageCosts {
    const key = `${resourceType}#${permission}`;
    const costs = this.context.pageCosts;
    let entry = costs.get(key);
    if (entry === undefined) {
      // Names come from the application's code, so few; a bound all the same.
      if (costs.size >= MAX_PAGE_COSTS) costs.clear();
      entry = {};
      costs.set(key, entry);
    }
    return entry;
  }

  async page<K extends ResourceKind | string, Row extends PageRow>(
    kindOrType: K,
    permission: K extends ResourceKind<string, infer P> ? P : string,
    options: PageOptions<Row>,
  ): Promise<Page<Row>> {
    parsePageOptions(options);
    const resourceType = typeof kindOrType === "string" ? kindOrType : kindOrType.type;
    if (!isValidTypeName(resourceType)) throw new ConfigurationError("invalid resource type name");
    assertPermission(permission);
    if (this.caller.kind === "anonymous") return { items: [] };
    // Cursors go out sealed: a page's `next` is often a row the subject may not read.
    const scope = `${resourceType}#${permission}`;
    const after =
      options.after === undefined
        ? undefined
        : await this.context.cursors.open(scope, options.after);
    const access: PageAccess = {
      checkMany: async (ids) => {
        // One guarded call (one deadline); an id no backend could hold is never readable.
        const valid = ids.filter((id) => isValidId(id));
        const decided = await this.decide(
          valid.map((id) => ({ resource: { type: resourceType, id }, permission })),
        );
        const of = new Map(valid.map((id, j) => [id, decided[j] === true]));
        return ids.map((id) => of.get(id) === true);
      },
      lookup: async (abandon) => {
        if (!abandon || this.caller.kind !== "subject") {
          return this.authorizedIds(resourceType, permission);
        }
        // authorizedIds, with a way to give up on it.
        const ids = await this.context.port.lookup(
          { subject: this.caller.subject, resourceType, permission, ...this.reads },
          { resourceType, permission },
          abandon,
        );
        this.logger[this.context.decisionLogLevel](
          {
            fgac: "lookup",
            resourceType,
            permission,
            ...(ids === null ? { unscoped: true } : { count: ids.length }),
          },
          "fgac: lookup",
        );
        return ids;
      },
      callMs: this.context.port.timeoutMs,
      maxCheck: this.context.port.checkManyLimit,
    };
    const { page, stats } = await paginate(
      access,
      { ...options, ...(after === undefined ? {} : { after }) },
      // A bypass asks the backend nothing: its "lookup" costs nothing, and must not teach the
      // subjects' pages that lookups are cheap.
      this.caller.kind === "bypass" ? {} : this.pageCosts(resourceType, permission),
    );
    this.logger[this.context.decisionLogLevel](
      { fgac: "page", resourceType, permission, count: page.items.length, ...stats },
      "fgac: page",
    );
    if (page.next === undefined) return { items: page.items };
    return { items: page.items, next: await this.context.cursors.seal(scope, page.next) };
  }

  async grant(resource: Resource, relation?: string): Promise<WriteResult> {
    return this.writeEdge("grant", resource, relation);
  }

  async revoke(resource: Resource, relation?: string): Promise<WriteResult> {
    return this.writeEdge("revoke", resource, relation);
  }

  /** A grant or revoke; without a relation the port's owner relation applies (its default). */
  private writeEdge(op: "grant" | "revoke", resource: Resource, relation: string | undefined) {
    if (relation !== undefined) assertPermission(relation);
    const edge = relation === undefined ? {} : { relation };
    return this.write(op, resource, edge, (port, subject, options) =>
      port[op]({ subject, resource, ...edge }, options),
    );
  }

  /** Whether the subject may see `parent` (its kind's read permission), for a scoped list. */
  private async seesParent(parent: Resource): Promise<boolean> {
    const permission = readPermissionOf(parent);
    if (permission === null) {
      throw new ConfigurationError(
        "authorizedIds: the parent's kind has no readPermission, so who may see it is unknown",
      );
    }
    const started = performance.now();
    const timing = this.timingOf(parent, [permission]);
    const [visible = false] = await this.decide([{ resource: parent, permission }]);
    timing?.record(performance.now() - started);
    // A hidden parent's [] ends when an absent parent's would (see timing.ts).
    if (!visible) await timing?.pad(started);
    return visible;
  }

  async register(resource: Resource, options: RegisterOptions = {}): Promise<WriteResult> {
    const { parent } = options;
    if (parent !== undefined) assertResource(parent);
    const extra = parent ? { parentType: parent.type, parentId: parent.id } : {};
    return this.write("register", resource, extra, (port, subject, options) =>
      port.register(parent ? { subject, resource, parent } : { subject, resource }, options),
    );
  }

  async deregister(resource: Resource): Promise<WriteResult> {
    return this.write("deregister", resource, {}, (port, subject, options) =>
      port.deregister({ resource, subject }, options),
    );
  }

  /** Asks the port several questions in one call (one check for one question). */
  private async decide(questions: readonly Question[]): Promise<boolean[]> {
    for (const q of questions) {
      assertResource(q.resource);
      assertPermission(q.permission);
    }
    if (this.caller.kind === "bypass") return questions.map(() => true);
    if (this.caller.kind === "anonymous") return questions.map(() => false);
    if (questions.length === 0) return [];
    const subject = this.caller.subject;
    const distinct = (f: (q: Question) => string) => [...new Set(questions.map(f))];
    const ids = distinct((q) => q.resource.id);
    const fields = {
      resourceType: distinct((q) => q.resource.type).join(","),
      ...(ids.length === 1 ? { resourceId: ids[0] } : { count: questions.length }),
      permission: distinct((q) => q.permission).join(","),
    };
    const reqs = questions.map(({ resource, permission }) => ({
      subject,
      resource,
      permission,
      ...this.reads,
    }));
    if (reqs.length === 1)
      return [await this.context.port.check(reqs[0] as (typeof reqs)[0], fields)];
    return this.context.port.checkMany(reqs, fields);
  }

  private logDecision(resource: Resource, permission: string, allowed: boolean): void {
    const fields: CallFields = {
      fgac: "check",
      resourceType: resource.type,
      resourceId: resource.id,
      permission,
      allowed,
    };
    if (this.caller.kind === "bypass") {
      fields["bypass"] = true;
      fields["reason"] = this.caller.reason;
    }
    if (this.caller.kind === "anonymous") fields["anonymous"] = true;
    this.context.telemetry.decision({
      "fgac.resource.type": resource.type,
      "fgac.permission": permission,
      "fgac.decision": allowed ? "allowed" : "denied",
      "fgac.caller": this.caller.kind,
    });
    const level = this.caller.kind === "bypass" ? "info" : this.context.decisionLogLevel;
    this.logger[level](fields, `fgac: check ${allowed ? "allowed" : "denied"}`);
  }

  private async write(
    op: WriteOp,
    resource: Resource,
    extra: CallFields,
    fn: (port: AuthorizationPort, subject: Subject, options: CallOptions) => Promise<WriteResult>,
  ): Promise<WriteResult> {
    assertResource(resource);
    const fields = { resourceType: resource.type, resourceId: resource.id, ...extra };
    if (this.caller.kind === "bypass") {
      const bypass = { skipped: true, bypass: true, reason: this.caller.reason };
      this.logger.info({ fgac: op, ...fields, ...bypass }, `fgac: ${op} skipped (bypass)`);
      return {};
    }
    if (this.caller.kind === "anonymous") throw new UnauthenticatedError();
    const { subject } = this.caller;
    const result = await this.context.port.write(op, fields, (port, o) => fn(port, subject, o));
    this.logger.info({ fgac: op, ...fields }, `fgac: ${op}`);
    return result;
  }
}
