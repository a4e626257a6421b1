// reconcile: compares the database's rows of a kind with the authorization store's
// registrations, reports both kinds of orphan, and repairs them, safe while the service runs.
import * as z from "zod/mini";
import { ConfigurationError } from "./errors.js";
import type { Logger } from "./logger.js";
import { silentLogger } from "./logger.js";
import { fn, parseOptions, withMethods } from "./options.js";
import type { AuthorizationPort, Registration } from "./port.js";
import { isValidId, type Resource, type ResourceKind, type Subject } from "./resources.js";

/**
 * A database row as `reconcile` reads it: its id, and what a registration needs.
 *
 * @example
 * ```ts
 * async function* rows(): AsyncIterable<ReconcileRow> {
 *   for await (const r of db.streamApiKeys()) // ORDER BY id COLLATE "C"
 *     yield { id: r.id, owner: user(r.owner_id), parent: agent(r.agent_id) };
 * }
 * ```
 */
export interface ReconcileRow {
  id: string;
  /** Who registered it (kept on the row by the create). Without it a missing one can't be restored. */
  owner?: Subject;
  /** Its parent, e.g. the agent of an api key. */
  parent?: Resource;
}

/**
 * Options of {@link reconcile}.
 *
 * @example
 * ```ts
 * const options: ReconcileOptions = { port, kind: apiKey, rows, fix: true, logger };
 * const report = await reconcile(options);
 * ```
 */
export interface ReconcileOptions {
  /** The authorization store (it must implement `registrations`). */
  port: AuthorizationPort;
  /** The kind whose rows and registrations are compared. */
  kind: ResourceKind;
  /**
   * The rows, in ascending id order by bytes (Postgres: `ORDER BY id COLLATE "C"`), streamed.
   * A function is called again for the second pass that confirms orphaned registrations;
   * a plain iterable can be read once, so its orphaned registrations are only reported.
   */
  rows: AsyncIterable<ReconcileRow> | (() => AsyncIterable<ReconcileRow>);
  /** Repair what can be repaired (default false: report only). */
  fix?: boolean;
  /**
   * How long a registration must have had no row before it is removed, in ms (default 120 000:
   * longer than a create, whose insert `createRegistered` bounds at 30 s, may take). A create
   * registers before its insert, so a registration whose row is still being written is kept.
   */
  graceMs?: number;
  /** Registrations read per page (default 500). */
  pageSize?: number;
  /** Most findings listed in the report per list (default 10 000); the counts are exact. */
  maxListed?: number;
  /** Logs what was found and fixed (never a subject). */
  logger?: Logger;
  /** Aborts the run between pages. */
  signal?: AbortSignal;
}

/**
 * A finding of {@link reconcile}.
 *
 * @example
 * ```ts
 * for (const f of report.registrationsWithoutRow.listed)
 *   if (!f.fixed) logger.warn({ id: f.id, reason: f.reason }, "registration kept");
 * ```
 */
export interface ReconcileFinding {
  id: string;
  /** Repaired (registered again, or deregistered). */
  fixed: boolean;
  /** Why it was not repaired, when `fix` was asked for. */
  reason?: "no_owner" | "conflict" | "failed" | "has_row_now" | "not_confirmed";
}

/**
 * What {@link reconcile} found and did.
 *
 * @example
 * ```ts
 * const report: ReconcileReport = await reconcile({ port, kind: apiKey, rows });
 * metrics.gauge("fgac_rows_unregistered", report.rowsWithoutRegistration.count);
 * ```
 */
export interface ReconcileReport {
  rows: number;
  registrations: number;
  /** Rows with no registration: nobody can see them (fail closed), yet they are lost. */
  rowsWithoutRegistration: { count: number; fixed: number; listed: ReconcileFinding[] };
  /** Registrations with no row: edges that grant access to nothing, or to a future row of that id. */
  registrationsWithoutRow: { count: number; fixed: number; listed: ReconcileFinding[] };
}

const optionsSchema = z.object({
  port: withMethods<AuthorizationPort>(
    ["registrations", "register", "deregister"],
    "must implement registrations, register and deregister",
  ),
  kind: fn<ResourceKind>(),
  rows: z.custom<ReconcileOptions["rows"]>(
    (r) =>
      typeof r === "function" || (typeof r === "object" && r !== null && Symbol.asyncIterator in r),
    "must be an async iterable of rows, or a function returning one",
  ),
  fix: z.optional(z.boolean()),
  graceMs: z.optional(z.number().check(z.int(), z.gte(0))),
  pageSize: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1000))),
  maxListed: z.optional(z.number().check(z.int(), z.gte(0))),
  logger: z.optional(
    withMethods<Logger>(
      ["info", "warn", "error", "debug"],
      "must have info, warn, error and debug",
    ),
  ),
  signal: z.optional(z.custom<AbortSignal>((s) => s instanceof AbortSignal)),
});

const DEFAULT_GRACE_MS = 120_000;

/**
 * Finds the rows of `kind` with no registration and the registrations with no row, by a merge
 * of two sorted streams (bounded memory, whatever the table's size), and with `fix: true`
 * repairs them: a row without registration is registered again for its `owner` under its
 * `parent`; a registration without a row is deregistered, but only when a second pass, at least
 * `graceMs` after it was first seen, still finds no row (a create in flight is never undone).
 *
 * @param options - `port`, `kind`, `rows`, and optionally `fix`, `graceMs`, `pageSize`, `logger`
 * @returns the counts and (up to `maxListed`) the ids found, with what was fixed
 * @throws `ConfigurationError` for a port without `registrations` or rows out of order
 * @example
 * ```ts
 * const report = await reconcile({
 *   port, kind: apiKey, fix: true,
 *   rows: () => db.streamApiKeys(), // SELECT id, owner, agent_id ... ORDER BY id COLLATE "C"
 * });
 * console.log(report.rowsWithoutRegistration.count, report.registrationsWithoutRow.count);
 * ```
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  parseOptions("reconcile", optionsSchema, options);
  const { port, kind } = options;
  const logger = options.logger ?? silentLogger;
  const maxListed = options.maxListed ?? 10_000;
  const report: ReconcileReport = {
    rows: 0,
    registrations: 0,
    rowsWithoutRegistration: { count: 0, fixed: 0, listed: [] },
    registrationsWithoutRow: { count: 0, fixed: 0, listed: [] },
  };
  const candidates = new Set<string>();
  const firstSeen = Date.now();
  const list = (to: ReconcileFinding[], finding: ReconcileFinding) => {
    if (to.length < maxListed) to.push(finding);
  };

  const tally: Tally = { rows: 0, registrations: 0 };
  for await (const step of merge(rowsOf(options, tally), registrationsOf(options, tally))) {
    if (step.kind === "both") continue;
    if (step.kind === "row") {
      report.rowsWithoutRegistration.count += 1;
      const finding = await restore(step.row, options);
      if (finding.fixed) report.rowsWithoutRegistration.fixed += 1;
      list(report.rowsWithoutRegistration.listed, finding);
      continue;
    }
    report.registrationsWithoutRow.count += 1;
    candidates.add(step.registration.id);
  }
  report.rows = tally.rows;
  report.registrations = tally.registrations;

  const confirmed = options.fix
    ? await confirmOrphans(candidates, firstSeen, options)
    : new Set<string>();
  for (const id of candidates) {
    let finding: ReconcileFinding = { id, fixed: false };
    if (options.fix) {
      if (!confirmed.has(id)) finding = { id, fixed: false, reason: stillReason(options) };
      else {
        try {
          await port.deregister({ resource: { type: kind.type, id } });
          finding = { id, fixed: true };
          report.registrationsWithoutRow.fixed += 1;
        } catch {
          finding = { id, fixed: false, reason: "failed" };
        }
      }
    }
    list(report.registrationsWithoutRow.listed, finding);
  }
  logger.info(
    {
      fgac: "reconcile",
      resourceType: kind.type,
      rows: report.rows,
      registrations: report.registrations,
      rowsWithoutRegistration: report.rowsWithoutRegistration.count,
      registrationsWithoutRow: report.registrationsWithoutRow.count,
      fixed: report.rowsWithoutRegistration.fixed + report.registrationsWithoutRow.fixed,
    },
    "fgac: reconcile",
  );
  return report;
}

/** Why an orphaned registration was left: re-read, it has a row now; or it could not be re-read. */
function stillReason(options: ReconcileOptions): NonNullable<ReconcileFinding["reason"]> {
  return typeof options.rows === "function" ? "has_row_now" : "not_confirmed";
}

/** Registers a row's resource again for its owner, under its parent. */
async function restore(row: ReconcileRow, options: ReconcileOptions): Promise<ReconcileFinding> {
  if (!options.fix) return { id: row.id, fixed: false };
  if (!row.owner) return { id: row.id, fixed: false, reason: "no_owner" };
  try {
    await options.port.register({
      subject: row.owner,
      resource: { type: options.kind.type, id: row.id },
      ...(row.parent ? { parent: row.parent } : {}),
    });
    return { id: row.id, fixed: true };
  } catch (error) {
    const conflict = (error as { code?: unknown } | null)?.code === "conflict";
    return { id: row.id, fixed: false, reason: conflict ? "conflict" : "failed" };
  }
}

/**
 * The candidates that still have no row when read again at least `graceMs` after they were
 * first seen, and still have a registration (its create may have given up and its row landed).
 */
async function confirmOrphans(
  candidates: Set<string>,
  firstSeen: number,
  options: ReconcileOptions,
): Promise<Set<string>> {
  if (candidates.size === 0 || typeof options.rows !== "function") return new Set();
  const wait = firstSeen + (options.graceMs ?? DEFAULT_GRACE_MS) - Date.now();
  if (wait > 0) await sleep(wait, options.signal);
  const confirmed = new Set(candidates);
  for await (const row of checkedRows(options.rows())) confirmed.delete(row.id);
  return confirmed;
}

type Step =
  | { kind: "both" }
  | { kind: "row"; row: ReconcileRow }
  | { kind: "registration"; registration: Registration };

/** What a pass has read so far. */
interface Tally {
  rows: number;
  registrations: number;
}

async function* rowsOf(options: ReconcileOptions, tally: Tally): AsyncGenerator<ReconcileRow> {
  const rows = typeof options.rows === "function" ? options.rows() : options.rows;
  for await (const row of checkedRows(rows)) {
    tally.rows += 1;
    yield row;
  }
}

/** Rows as given, refusing an invalid id or one out of ascending order (the merge needs it). */
async function* checkedRows(rows: AsyncIterable<ReconcileRow>): AsyncGenerator<ReconcileRow> {
  let previous: string | undefined;
  for await (const row of rows) {
    if (!isValidId(row?.id)) throw new ConfigurationError("reconcile: a row has an invalid id");
    if (previous !== undefined && row.id <= previous) {
      throw new ConfigurationError(
        'reconcile: rows must come in ascending id order by bytes (ORDER BY id COLLATE "C"), each once',
      );
    }
    previous = row.id;
    yield row;
  }
}

async function* registrationsOf(
  options: ReconcileOptions,
  tally: Tally,
): AsyncGenerator<Registration> {
  const registrations = options.port.registrations?.bind(options.port);
  if (!registrations) throw new ConfigurationError("reconcile: the port cannot list registrations");
  let cursor: string | undefined;
  let previous: string | undefined;
  do {
    if (options.signal?.aborted) throw options.signal.reason;
    const page = await registrations({
      resourceType: options.kind.type,
      limit: options.pageSize ?? 500,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const registration of page.items) {
      if (previous !== undefined && registration.id <= previous) {
        throw new ConfigurationError("reconcile: the port listed registrations out of order");
      }
      previous = registration.id;
      tally.registrations += 1;
      yield registration;
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** The merge of two ascending streams: ids in both, only in the rows, only registered. */
async function* merge(
  rows: AsyncGenerator<ReconcileRow>,
  registrations: AsyncGenerator<Registration>,
): AsyncGenerator<Step> {
  let row = await rows.next();
  let reg = await registrations.next();
  while (!row.done || !reg.done) {
    if (reg.done || (!row.done && row.value.id < reg.value.id)) {
      yield { kind: "row", row: (row as IteratorYieldResult<ReconcileRow>).value };
      row = await rows.next();
    } else if (row.done || reg.value.id < row.value.id) {
      yield { kind: "registration", registration: reg.value };
      reg = await registrations.next();
    } else {
      yield { kind: "both" };
      row = await rows.next();
      reg = await registrations.next();
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
