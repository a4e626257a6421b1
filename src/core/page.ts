// Paged authorized lists: one page of the rows a subject may see, in the application's key
// order, by bulk-checking candidate rows, or by pushing looked-up ids into the query when sparse.
import * as z from "zod/mini";
import { hasFgacCode } from "./errors.js";
import { AbandonedError } from "./guarded-port.js";
import { fn, parseOptions } from "./options.js";

/**
 * A row of the application's table, as `candidates` returns it: anything with an `id`.
 *
 * @example
 * ```ts
 * interface KeyRow extends PageRow { id: string; name: string; created_at: Date }
 * ```
 */
export interface PageRow {
  readonly id: string;
}

/**
 * Passed to `candidates` when the page pushes authorized ids into the query.
 *
 * @example
 * ```ts
 * const where = filter ? sql`id = any(${filter.ids})` : sql`true`;
 * ```
 */
export interface CandidateFilter {
  /** Only rows whose id is one of these (the subject may read exactly these). */
  readonly ids: readonly string[];
}

/**
 * Fetches up to `limit` rows strictly after the cursor `after` (all rows from the start when
 * `undefined`), in key order. With `filter`, only rows whose id is in `filter.ids` (e.g.
 * `where id = any($ids)`): the page passes it once it knows the subject's readable ids. A
 * function that ignores `filter` is still correct, only slower. Fewer rows than `limit` means
 * there are no more.
 *
 * @example
 * ```ts
 * const candidates: Candidates<KeyRow> = (after, limit, filter) =>
 *   db.query(
 *     "select * from keys where ($1::text is null or id > $1) and ($2::text[] is null or id = any($2)) order by id limit $3",
 *     [after ?? null, filter?.ids ?? null, limit],
 *   );
 * ```
 */
export type Candidates<Row extends PageRow> = (
  after: string | undefined,
  limit: number,
  filter?: CandidateFilter,
) => Promise<readonly Row[]> | readonly Row[];

/**
 * Options of `authz.page`.
 *
 * @example
 * ```ts
 * const options: PageOptions<KeyRow> = {
 *   limit: 50,
 *   after: req.query.after,
 *   candidates: (after, limit, filter) => db.keysAfter(after, limit, filter?.ids),
 * };
 * ```
 */
export interface PageOptions<Row extends PageRow> {
  /** Most rows in the page (1 to 1000). */
  limit: number;
  /** The `next` of the previous page; absent for the first page. */
  after?: string;
  /** The application's query: rows after a cursor, in key order. */
  candidates: Candidates<Row>;
  /** A row's cursor, what `after` and `next` hold (default: its `id`; the key must be unique). */
  cursor?: (row: Row) => string;
  /** Most candidate rows read and checked by one call (default 5000): the work stays bounded. */
  maxCandidates?: number;
  /**
   * Time the page spends checking candidates before it answers what it has (default 1500 ms,
   * within the authorizer's default 2000 ms deadline of each call).
   */
  budgetMs?: number;
  /** `"auto"` (default) adapts; `"check"` only bulk-checks candidates; `"lookup"` looks up first. */
  strategy?: "auto" | "check" | "lookup";
}

/**
 * One page: the readable rows in key order, and the cursor of the next page.
 *
 * @example
 * ```ts
 * const page: Page<KeyRow> = await authz.page(apiKey, "read", { limit: 50, candidates });
 * res.json({ items: page.items, next: page.next ?? null });
 * ```
 */
export interface Page<Row extends PageRow> {
  /** At most `limit` rows the subject may read, in key order. */
  items: Row[];
  /**
   * Pass it as `after` for the next page; absent once there is nothing more. A page may hold
   * fewer than `limit` rows (even none) and still have a `next` when its budget ran out.
   */
  next?: string;
}

/** @internal What {@link paginate} needs from the authorizer. */
export interface PageAccess {
  /** One decision per id, in order (one bulk call). */
  checkMany(ids: readonly string[]): Promise<boolean[]>;
  /**
   * Every id the subject may read; `null` means unscoped (no filter at all). When `abandon`
   * aborts first, the lookup's work is aborted and it rejects with `AbandonedError`.
   */
  lookup(abandon?: AbortSignal): Promise<readonly string[] | null>;
  /** The deadline of one port call (the authorizer's `timeoutMs`). */
  readonly callMs: number;
  /** Most ids one `checkMany` may hold (the authorizer's `limits.checkMany`). */
  readonly maxCheck: number;
}

/**
 * @internal What pages of one resource type and permission have cost in this authorizer, for
 * any subject: how long a lookup of every readable id took, and how long the page loop took to
 * fill a page (or would have, when it gave up). Durations only: never an id or an answer, so
 * nothing here can outlive a revocation.
 */
export interface PageCosts {
  /** Smoothed ms of a lookup (a lower bound when one was abandoned or failed). */
  lookupMs?: number;
  /** Smoothed ms of the page loop filling a page. */
  loopMs?: number;
  /** A page is trying a lookup first: others wait for its outcome rather than pile on. */
  probing?: boolean;
}

/** @internal How the page went, for the log: never ids. */
export interface PageStats {
  strategy: "check" | "lookup";
  scanned: number;
  checked: number;
  lookupFailed: boolean;
}

/** Most candidates read at once. */
const MAX_BATCH = 1000;
/** Most and fewest candidates in one bulk check (one port call, under one deadline). */
const MAX_CHUNK = 1000;
const MIN_CHUNK = 20;
/** The share of a call's deadline one call of the page (a bulk check, a first lookup) may take. */
const CALL_SHARE_OF_DEADLINE = 0.75;
/** How much more than the expected number of candidates a batch reads, against bad luck. */
const OVERSHOOT = 1.3;
/** Weight of the newest duration in {@link PageCosts}. */
const COST_WEIGHT = 0.3;
const DEFAULT_MAX_CANDIDATES = 5000;
const DEFAULT_BUDGET_MS = 1500;
/** Before any is checked, the page assumes half the candidates readable. */
const PRIOR_DENSITY = 0.5;

const optionsSchema = z.object({
  limit: z.number().check(z.int(), z.gte(1), z.lte(1000)),
  after: z.optional(z.string()),
  candidates: fn<Candidates<PageRow>>(),
  cursor: z.optional(fn<(row: PageRow) => string>()),
  maxCandidates: z.optional(z.number().check(z.int(), z.gte(1), z.lte(100_000))),
  budgetMs: z.optional(z.number().check(z.int(), z.gte(1), z.lte(600_000))),
  strategy: z.optional(z.enum(["auto", "check", "lookup"])),
});

/** @internal Checks `page` options; throws `ConfigurationError` naming each bad one. */
export function parsePageOptions<Row extends PageRow>(options: PageOptions<Row>): void {
  parseOptions("page", optionsSchema, options);
}

/** The state of one page as it is built. */
class PageRun<Row extends PageRow> {
  readonly items: Row[] = [];
  after: string | undefined;
  scanned = 0;
  hits = 0;
  checked = 0;
  checkMs = 0;
  lookupFailed = false;
  readonly started = performance.now();
  readonly cursorOf: (row: Row) => string;
  readonly maxCandidates: number;
  readonly budgetMs: number;

  constructor(readonly options: PageOptions<Row>) {
    this.after = options.after;
    this.cursorOf = options.cursor ?? ((row) => row.id);
    this.maxCandidates = options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
    this.budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  }

  get need(): number {
    return this.options.limit - this.items.length;
  }

  /** Readable share of what was checked so far, smoothed towards the prior. */
  density(): number {
    return (this.hits + PRIOR_DENSITY) / (this.scanned + 1);
  }

  /** ms per checked candidate so far; undefined before the first check. */
  perItem(): number | undefined {
    return this.checked > 0 ? this.checkMs / this.checked : undefined;
  }

  remainingMs(): number {
    return this.budgetMs - (performance.now() - this.started);
  }

  /**
   * Candidates to read next: enough to fill the page at the density seen (plus one, to know
   * whether more follow), within the scan budget, one read, and the time left.
   */
  nextBatch(): number {
    // The first batch is one page and one row: enough to fill a dense page at once, and a
    // cheap probe when the subject's rows are elsewhere (then it looks up sooner).
    let size =
      this.scanned === 0
        ? this.need + 1
        : Math.ceil(((this.need + 1) / this.density()) * OVERSHOOT);
    size = Math.min(size, MAX_BATCH, this.maxCandidates - this.scanned);
    const perItem = this.perItem();
    if (perItem !== undefined && perItem > 0) {
      size = Math.min(size, Math.floor(this.remainingMs() / perItem));
    }
    return Math.max(0, size);
  }

  /**
   * Would bulk-checking fill the page within the rows it may still read, at the density seen?
   * Only rows count: time running out ends the page short instead. A lookup costs what the
   * subject can read, which is large exactly when candidates are dense, so slow checks are no
   * reason to look up.
   */
  checkingLooksHopeless(): boolean {
    return this.need / this.density() > this.maxCandidates - this.scanned;
  }

  /** ms so far. */
  elapsed(): number {
    return performance.now() - this.started;
  }

  /** What the page loop would take to fill the page from here, at the density and pace seen. */
  loopEstimateMs(): number {
    const rows = Math.min(this.need / this.density(), this.maxCandidates - this.scanned);
    return this.elapsed() + rows * (this.perItem() ?? 0);
  }

  /**
   * Takes `rows` (read with a request for `asked`) and their answers in order. Returns the
   * page when it is complete: full, or the candidates ran out.
   */
  take(rows: readonly Row[], allowed: readonly boolean[], asked: number): Page<Row> | undefined {
    for (let i = 0; i < rows.length; i++) {
      if (!allowed[i]) continue;
      const row = rows[i] as Row;
      if (this.items.length < this.options.limit) {
        this.items.push(row);
        continue;
      }
      // One readable row past a full page: the next page starts right before it (the denied
      // rows between are not checked again).
      const before = i > 0 ? this.cursorOf(rows[i - 1] as Row) : this.after;
      return before === undefined ? { items: this.items } : { items: this.items, next: before };
    }
    const last = rows.at(-1);
    if (rows.length < asked || last === undefined) return { items: this.items };
    this.after = this.cursorOf(last);
    if (this.items.length >= this.options.limit) return { items: this.items, next: this.after };
    return undefined;
  }

  /** What it has, resuming after the last candidate read (every call reads at least one). */
  partial(): Page<Row> {
    return this.after === undefined
      ? { items: this.items }
      : { items: this.items, next: this.after };
  }

  stats(strategy: PageStats["strategy"]): PageStats {
    return {
      strategy,
      scanned: this.scanned,
      checked: this.checked,
      lookupFailed: this.lookupFailed,
    };
  }
}

/**
 * One page of readable rows (see `RequestAuthorizer.page` for the strategy).
 *
 * @internal
 */
export async function paginate<Row extends PageRow>(
  access: PageAccess,
  options: PageOptions<Row>,
  costs: PageCosts = {},
): Promise<{ page: Page<Row>; stats: PageStats }> {
  const run = new PageRun(options);
  const strategy = options.strategy ?? "auto";
  if (strategy === "lookup") {
    const page = await byLookup(access, run, costs);
    if (page) return { page, stats: run.stats("lookup") };
  } else if (strategy === "auto") {
    const cap = lookupFirstCap(
      costs,
      Math.min(access.callMs * CALL_SHARE_OF_DEADLINE, run.remainingMs()),
    );
    if (cap !== undefined) {
      costs.probing = true;
      try {
        const page = await byLookup(access, run, costs, cap);
        if (page) return { page, stats: run.stats("lookup") };
      } finally {
        costs.probing = false;
      }
    }
  }
  const loopStarted = run.elapsed();
  for (;;) {
    const size = run.nextBatch();
    if (size < 1) return { page: run.partial(), stats: run.stats("check") };
    const rows = await options.candidates(run.after, size);
    const allowed = await checkInChunks(access, run, rows);
    // Rows past the checked ones (time ran out) are not taken: the next page reads them again.
    const checked = rows.slice(0, allowed.length);
    run.scanned += checked.length;
    run.hits += allowed.filter(Boolean).length;
    const done = run.take(checked, allowed, checked.length < rows.length ? checked.length : size);
    if (done) {
      costs.loopMs = smooth(costs.loopMs, run.elapsed() - loopStarted);
      return { page: done, stats: run.stats("check") };
    }
    if (strategy === "auto" && !run.lookupFailed && run.checkingLooksHopeless()) {
      costs.loopMs = smooth(costs.loopMs, run.loopEstimateMs() - loopStarted);
      const page = await byLookup(access, run, costs);
      if (page) return { page, stats: run.stats("lookup") };
    }
  }
}

/**
 * Should "auto" look up first, and for how long at most? Only when lookups of this kind have
 * been measured, and cost less than the page loop: never to find out, since a backend may go
 * on computing a lookup it was told to drop (the embedded SpiceDB does), slowing every call
 * after it. The lookup is abandoned once it has taken what the whole loop takes (a subject who
 * can read far more than the others), so a wrong guess costs at most one loop's time more.
 */
function lookupFirstCap(costs: PageCosts, withinMs: number): number | undefined {
  const { lookupMs, loopMs } = costs;
  if (costs.probing || lookupMs === undefined || loopMs === undefined) return undefined;
  // Never past a call's deadline nor the page's budget: an abandoned lookup is no failure, an
  // expired one would be.
  const cap = Math.min(loopMs, withinMs);
  return lookupMs < cap ? Math.max(1, cap) : undefined;
}

/** A running average of durations, the newest weighing {@link COST_WEIGHT}. */
function smooth(previous: number | undefined, ms: number): number {
  if (previous === undefined || !Number.isFinite(previous)) return ms;
  return previous + COST_WEIGHT * (ms - previous);
}

/**
 * The answers for `rows` in calls small enough to stay well inside a call's deadline (and within
 * `limits.checkMany`), at the time per row seen so far, stopping early once the budget is spent:
 * then fewer answers than rows (at least one call's worth).
 */
async function checkInChunks<Row extends PageRow>(
  access: PageAccess,
  run: PageRun<Row>,
  rows: readonly Row[],
): Promise<boolean[]> {
  const answers: boolean[] = [];
  while (answers.length < rows.length) {
    if (answers.length > 0 && run.remainingMs() <= 0) break;
    // Sized from the time per row seen so far (an overestimate: it carries each call's fixed
    // cost), so a call stays well inside its deadline.
    const perItem = run.perItem();
    const most = Math.min(MAX_CHUNK, access.maxCheck);
    const chunk = perItem
      ? Math.max(
          Math.min(MIN_CHUNK, most),
          Math.min(most, Math.floor((access.callMs * CALL_SHARE_OF_DEADLINE) / perItem)),
        )
      : most;
    const ids = rows.slice(answers.length, answers.length + chunk).map((r) => r.id);
    const t = performance.now();
    answers.push(...(await access.checkMany(ids)));
    run.checkMs += performance.now() - t;
    run.checked += ids.length;
  }
  return answers;
}

/**
 * The rest of the page by the subject's readable ids pushed into the query. Undefined when the
 * lookup failed (unavailable, past its deadline, more ids than `limits.lookupIds`) or took
 * longer than `capMs`: the page then goes on checking candidates.
 */
async function byLookup<Row extends PageRow>(
  access: PageAccess,
  run: PageRun<Row>,
  costs: PageCosts,
  capMs?: number,
): Promise<Page<Row> | undefined> {
  let ids: readonly string[] | null;
  const started = performance.now();
  const abandon = capMs === undefined ? undefined : new AbortController();
  const timer = abandon && setTimeout(() => abandon.abort(), capMs);
  try {
    ids = await access.lookup(abandon?.signal);
  } catch (error) {
    if (error instanceof AbandonedError && capMs !== undefined) {
      costs.lookupMs = smooth(costs.lookupMs, performance.now() - started);
      // It would have taken longer than the loop (how much longer is unknown): counted as at
      // least twice the loop, so noise in the loop's time does not send the next page back to
      // it. The loop may still fall back to a full lookup if it finds nothing.
      costs.lookupMs = Math.max(costs.lookupMs, 2 * capMs);
      return undefined;
    }
    if (!hasFgacCode(error, "authorization_unavailable", "configuration_error")) throw error;
    // Past its deadline, or more ids than allowed: no option for this kind until one succeeds.
    costs.lookupMs = Number.POSITIVE_INFINITY;
    run.lookupFailed = true;
    return undefined;
  } finally {
    clearTimeout(timer);
  }
  costs.lookupMs = smooth(costs.lookupMs, performance.now() - started);
  const readable = ids === null ? undefined : new Set(ids);
  if (readable?.size === 0) return { items: run.items };
  const filter = readable ? { ids: [...readable] } : undefined;
  // A query that ignores the filter is filtered here, within the scan budget.
  for (;;) {
    const asked = Math.min(run.need + 1, MAX_BATCH);
    if (run.scanned >= run.maxCandidates) return run.partial();
    const rows = await run.options.candidates(run.after, asked, filter);
    run.scanned += rows.length;
    const allowed = rows.map((r) => readable === undefined || readable.has(r.id));
    const done = run.take(rows, allowed, asked);
    if (done) return done;
  }
}
