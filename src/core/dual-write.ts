// The dual write between the authorization store and the database: createRegistered and
// deleteDeregistered, failing closed and reporting every inconsistency they cannot rule out.
import { hasFgacCode, isFgacError } from "./errors.js";
import type { WriteResult } from "./port.js";
import type { RequestAuthorizer } from "./request-authorizer.js";
import type { Resource } from "./resources.js";

/**
 * What {@link DualWriteOptions.onOrphan} receives: a registration and a row that may disagree.
 * `reconcile` finds and repairs each of these later; report them to speed that up.
 *
 * @example
 * ```ts
 * const onOrphan = ({ resource, phase }: OrphanReport) =>
 *   queue.push({ type: resource.type, id: resource.id, phase }); // re-checked by a clean-up job
 * ```
 */
export interface OrphanReport {
  /** The resource whose registration and row may disagree. */
  resource: Resource;
  /**
   * Where it happened:
   * - `"register"`: the register's outcome is unknown (timeout, backend failure mid-call): its
   *   edges may land with no row;
   * - `"write"`: the insert failed and whether its row landed is unknown (no `exists`, or
   *   `exists` failed, or the insert ran past `writeTimeoutMs`): with `exists` missing the
   *   registration was compensated, so a row that did land has no registration; with `exists`
   *   failing it was kept, so it may have no row; past `writeTimeoutMs` with `exists` saying
   *   no row, it was compensated, and the insert may still land with no registration;
   * - `"compensate"`: the insert failed, and so did the deregister after it: edges with no row;
   * - `"remove"`: the delete failed and whether the row is gone is unknown: the registration
   *   was kept, so it may have no row;
   * - `"delete"`: the row is gone, the deregister after it failed: edges with no row.
   */
  phase: "register" | "write" | "compensate" | "remove" | "delete";
  /** The error that left it unknown. */
  error: unknown;
}

/**
 * Options of {@link createRegistered} and {@link deleteDeregistered}.
 *
 * @example
 * ```ts
 * const options: DualWriteOptions = { exists: () => db.apiKeyExists(id), onOrphan };
 * await deleteDeregistered(authz, apiKey(id), () => db.deleteApiKey(id), options);
 * ```
 */
export interface DualWriteOptions {
  /**
   * Called for every registration and row that may disagree, so they can be queued for a
   * clean-up that checks the database first (`reconcile` finds them anyway).
   */
  onOrphan?: (report: OrphanReport) => void;
  /**
   * Does the row exist now? Asked after a failed insert or delete, whose outcome a database
   * cannot always tell (the connection dropped after COMMIT). With it, a registration is
   * removed only when its row is known to be absent, and kept when the row is there.
   */
  exists?: () => Promise<boolean> | boolean;
}

/**
 * Options of {@link createRegistered}.
 *
 * @example
 * ```ts
 * const options: CreateRegisteredOptions = {
 *   exists: () => db.apiKeyExists(id),
 *   writeTimeoutMs: 10_000,
 * };
 * await createRegistered(authz, { resource: apiKey(id) }, () => db.insertApiKey(id), options);
 * ```
 */
export interface CreateRegisteredOptions extends DualWriteOptions {
  /**
   * The longest the insert may take, in ms (default 30 000); past it, it is treated as failed
   * with an unknown outcome. `reconcile`'s `graceMs` must be longer than a whole create.
   */
  writeTimeoutMs?: number;
}

/**
 * What {@link createRegistered} registers.
 *
 * @example
 * ```ts
 * const target: RegisteredTarget = { resource: apiKey(id), parent: agent(agentId) };
 * const row = await createRegistered(authz, target, () => db.insertApiKey({ id, agentId, owner }));
 * ```
 */
export interface RegisteredTarget {
  resource: Resource;
  parent?: Resource;
}

/**
 * The default bound of a create's insert (see `reconcile`'s default `graceMs`).
 *
 * @example
 * ```ts
 * // reconcile's graceMs must outlast a whole create, whose insert is bounded by this:
 * await reconcile({ port, kind: apiKey, rows, fix: true, graceMs: 4 * DEFAULT_WRITE_TIMEOUT_MS });
 * ```
 */
export const DEFAULT_WRITE_TIMEOUT_MS = 30_000;

/** The insert ran past `writeTimeoutMs`: its outcome is unknown. */
class WriteTimeout extends Error {
  override readonly name = "WriteTimeout";
}

function reportOrphan(
  authz: RequestAuthorizer,
  report: OrphanReport,
  options: DualWriteOptions,
): void {
  authz.logger.warn(
    {
      fgac: report.phase === "register" ? "register" : "deregister",
      phase: report.phase,
      resourceType: report.resource.type,
      resourceId: report.resource.id,
      error: isFgacError(report.error) ? report.error.code : "error",
    },
    `fgac: ${report.phase} left the registration and the row possibly orphaned`,
  );
  try {
    options.onOrphan?.(report);
  } catch {
    // A failing hook must not turn a completed operation into a failure.
  }
}

/** Asks `exists`: `true`/`false`, or `undefined` when it is missing or failed. */
async function rowExists(options: DualWriteOptions): Promise<boolean | undefined | "failed"> {
  if (!options.exists) return undefined;
  try {
    return (await options.exists()) === true;
  } catch {
    return "failed";
  }
}

/** Deregisters best effort; a failure is reported with `phase`. */
async function deregisterReported(
  authz: RequestAuthorizer,
  resource: Resource,
  phase: OrphanReport["phase"],
  options: DualWriteOptions,
): Promise<void> {
  try {
    await authz.deregister(resource);
  } catch (error) {
    reportOrphan(authz, { resource, phase, error }, options);
  }
}

function bounded<T>(write: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WriteTimeout()), ms);
  });
  return Promise.race([write, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The create half of the dual write: register in the authorization store BEFORE the database
 * insert (fail closed), compensating if the insert fails.
 *
 * 1. `register` fails: the error propagates and `write` is never called. When its outcome is
 *    unknown (`AuthorizationUnavailableError`), the edges may still land, so it is reported to
 *    `onOrphan` (phase `"register"`); nothing is deregistered (they may be another owner's).
 * 2. `write` fails (or runs past `writeTimeoutMs`): with `exists`, the registration is removed
 *    only if the row is absent, kept if it is there, and reported (`"write"`) if `exists`
 *    fails. Without `exists`, it is removed and reported (`"write"`): a row that committed before
 *    the error has no registration until `reconcile` restores it. Past `writeTimeoutMs`, a
 *    removal is reported (`"write"`) too: the insert is still running and may land after
 *    `exists` said no. A failed removal is reported (`"compensate"`). The write's error is
 *    rethrown.
 *
 * @param authz - the request's authorizer (with a subject: anonymous callers are rejected)
 * @param target - the resource and its parent
 * @param write - the database insert; it receives the register's result, so the row can keep
 *   the consistency token. Keep the owner and parent on the row: `reconcile` needs them.
 * @param options - `onOrphan`, `exists`, `writeTimeoutMs`
 * @returns what `write` returned
 * @throws {@link UnauthenticatedError} without a subject; the register or write error otherwise
 * @example
 * ```ts
 * const row = await createRegistered(authz, { resource: apiKey(id), parent: agent(agentId) },
 *   () => db.insertApiKey({ id, agentId, name, owner }),
 *   { exists: () => db.apiKeyExists(id), onOrphan: (r) => queue.push(r) });
 * ```
 */
export async function createRegistered<T>(
  authz: RequestAuthorizer,
  target: RegisteredTarget,
  write: (registered: WriteResult) => Promise<T> | T,
  options: CreateRegisteredOptions = {},
): Promise<T> {
  const { resource } = target;
  let registered: WriteResult;
  try {
    registered = await authz.register(resource, target.parent ? { parent: target.parent } : {});
  } catch (error) {
    if (hasFgacCode(error, "authorization_unavailable"))
      reportOrphan(authz, { resource, phase: "register", error }, options);
    throw error;
  }
  try {
    const timeoutMs = options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    return await bounded(
      Promise.resolve().then(() => write(registered)),
      timeoutMs,
    );
  } catch (writeError) {
    const exists = await rowExists(options);
    if (exists === true) throw writeError; // the row landed: registration and row agree
    if (exists === "failed") {
      reportOrphan(authz, { resource, phase: "write", error: writeError }, options);
      throw writeError;
    }
    await deregisterReported(authz, resource, "compensate", options);
    // No `exists` to ask, or an insert past its deadline that may still land after `exists`
    // said no: a row may come with no registration.
    if (exists === undefined || writeError instanceof WriteTimeout)
      reportOrphan(authz, { resource, phase: "write", error: writeError }, options);
    throw writeError;
  }
}

/**
 * The delete half of the dual write: delete from the database first, then deregister best
 * effort (a failure is reported, phase `"delete"`; the delete still succeeds). When the delete
 * fails, the registration is kept unless `exists` says the row is gone anyway (it committed,
 * then threw); when that is unknown it is reported (phase `"remove"`).
 *
 * @param authz - the request's authorizer
 * @param resource - the resource being deleted
 * @param remove - the database delete
 * @param options - `onOrphan`, `exists`
 * @returns what `remove` returned
 * @throws whatever `remove` throws
 * @example
 * ```ts
 * await deleteDeregistered(authz, apiKey(id), () => db.deleteApiKey(id),
 *   { exists: () => db.apiKeyExists(id) });
 * ```
 */
export async function deleteDeregistered<T>(
  authz: RequestAuthorizer,
  resource: Resource,
  remove: () => Promise<T> | T,
  options: DualWriteOptions = {},
): Promise<T> {
  let result: T;
  try {
    result = await remove();
  } catch (removeError) {
    const exists = await rowExists(options);
    if (exists === false) await deregisterReported(authz, resource, "delete", options);
    else if (exists !== true)
      reportOrphan(authz, { resource, phase: "remove", error: removeError }, options);
    throw removeError;
  }
  await deregisterReported(authz, resource, "delete", options);
  return result;
}
