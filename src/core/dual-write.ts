// The dual write between the authorization store and the database: createRegistered and
// deleteDeregistered, failing closed and reporting every possible orphan.
import { hasFgacCode, isFgacError } from "./errors.js";
import type { WriteResult } from "./port.js";
import type { RequestAuthorizer } from "./request-authorizer.js";
import type { Resource } from "./resources.js";

/** What {@link DualWriteOptions.onOrphan} receives: an authorization entry that may remain. */
export interface OrphanReport {
  /** The resource whose authorization edges may remain. */
  resource: Resource;
  /**
   * Where it happened: `"register"` when the register's outcome is unknown (it timed out or the
   * backend failed mid-call, so the edges may still land while nothing was inserted);
   * `"compensate"` when the deregister after a failed insert failed; `"delete"` when the
   * deregister after a delete failed.
   */
  phase: "register" | "compensate" | "delete";
  /** The register or deregister error. */
  error: unknown;
}

/** Options of {@link createRegistered} and {@link deleteDeregistered}. */
export interface DualWriteOptions {
  /**
   * Called when authorization edges may be left without a row, so they can be queued for a
   * clean-up that checks the database first (after a `"register"` report the edges may also be
   * another owner's, if the id was not new).
   */
  onOrphan?: (report: OrphanReport) => void;
}

/** What {@link createRegistered} registers. */
export interface RegisteredTarget {
  resource: Resource;
  parent?: Resource;
}

function errorCode(error: unknown): string {
  return isFgacError(error) ? error.code : "error";
}

function reportOrphan(
  authz: RequestAuthorizer,
  report: OrphanReport,
  options: DualWriteOptions,
): void {
  const op = report.phase === "register" ? "register" : "deregister";
  authz.logger.warn(
    {
      fgac: op,
      phase: report.phase,
      resourceType: report.resource.type,
      resourceId: report.resource.id,
      error: errorCode(report.error),
    },
    report.phase === "register"
      ? "fgac: register outcome unknown; authorization entry may be orphaned"
      : "fgac: deregister failed; authorization entry may be orphaned",
  );
  try {
    options.onOrphan?.(report);
  } catch {
    // A failing hook must not turn a completed operation into a failure.
  }
}

/**
 * The create half of the dual write: register in the authorization store BEFORE the database
 * insert (fail closed), compensating if the insert fails.
 *
 * 1. `register` fails: the error propagates and `write` is never called. When its outcome is
 *    unknown (`AuthorizationUnavailableError`: a timeout or a backend failure mid-call), the
 *    edges may still land, so it is also logged and reported to `onOrphan` (phase
 *    `"register"`); nothing is deregistered, because the edges may belong to another owner;
 * 2. `write` fails: deregister (best effort; a failure is logged and reported to `onOrphan`),
 *    then the write's error is rethrown.
 *
 * @param authz - the request's authorizer (with a subject: anonymous callers are rejected)
 * @param target - the resource and its parent
 * @param write - the database insert; it receives the register's result, so the row can keep
 *   the consistency token (read it later with `forSubject(subject, { consistency })`)
 * @param options - `onOrphan`
 * @returns what `write` returned
 * @throws {@link UnauthenticatedError} without a subject; the register or write error otherwise
 * @example
 * ```ts
 * const row = await createRegistered(authz, { resource: apiKey(id), parent: agent(agentId) },
 *   () => db.insertApiKey({ id, agentId, name }));
 * ```
 */
export async function createRegistered<T>(
  authz: RequestAuthorizer,
  target: RegisteredTarget,
  write: (registered: WriteResult) => Promise<T> | T,
  options: DualWriteOptions = {},
): Promise<T> {
  let registered: WriteResult;
  try {
    registered = await authz.register(
      target.resource,
      target.parent ? { parent: target.parent } : {},
    );
  } catch (error) {
    if (hasFgacCode(error, "authorization_unavailable"))
      reportOrphan(authz, { resource: target.resource, phase: "register", error }, options);
    throw error;
  }
  try {
    return await write(registered);
  } catch (writeError) {
    try {
      await authz.deregister(target.resource);
    } catch (error) {
      reportOrphan(authz, { resource: target.resource, phase: "compensate", error }, options);
    }
    throw writeError;
  }
}

/**
 * The delete half of the dual write: delete from the database first, then deregister best
 * effort. A deregister failure is logged as a possible orphan and reported to `onOrphan`; the
 * delete still succeeds.
 *
 * @param authz - the request's authorizer
 * @param resource - the resource being deleted
 * @param remove - the database delete
 * @param options - `onOrphan`
 * @returns what `remove` returned
 * @throws whatever `remove` throws (and then nothing is deregistered)
 * @example
 * ```ts
 * await deleteDeregistered(authz, apiKey(id), () => db.deleteApiKey(id));
 * ```
 */
export async function deleteDeregistered<T>(
  authz: RequestAuthorizer,
  resource: Resource,
  remove: () => Promise<T> | T,
  options: DualWriteOptions = {},
): Promise<T> {
  const result = await remove();
  try {
    await authz.deregister(resource);
  } catch (error) {
    reportOrphan(authz, { resource, phase: "delete", error }, options);
  }
  return result;
}
