// The guarded port: every port call the authorizer makes runs here, under the deadline,
// through the error filter (fail closed) and with its answer validated before anyone reads it.
import { AuthorizationUnavailableError, type FgacErrorCode, hasFgacCode } from "./errors.js";
import type { Logger } from "./logger.js";
import type { AuthorizationPort, CheckRequest, LookupRequest, WriteResult } from "./port.js";
import { isValidId } from "./resources.js";

/** Log fields that describe a call (resource type, id or count, permission): never the subject. */
export type CallFields = Record<string, unknown>;

/** The write operations of a port. */
export type WriteOp = "grant" | "revoke" | "register" | "deregister";

/**
 * Codes of the errors a port may throw (see AuthorizationPort). Anything else, such as a port
 * that "denies" by throwing AuthorizationError, fails closed, so a denial can never escape the
 * collapse policy as a 403.
 */
const PORT_ERROR_CODES: readonly FgacErrorCode[] = [
  "authorization_unavailable",
  "conflict",
  "unauthenticated",
  "configuration_error",
  "invalid_identifier",
];

/**
 * @internal A port seen through the authorizer's guarantees: each call has a deadline
 * (`timeoutMs`), throws only the errors a port is documented to throw (anything else is
 * `AuthorizationUnavailableError`), logs failures by code (a backend's message can hold the
 * subject), and returns only well-formed answers.
 */
export class GuardedPort {
  constructor(
    private readonly port: AuthorizationPort,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  /** One check; anything but a boolean answer fails closed. */
  async check(req: CheckRequest, fields: CallFields): Promise<boolean> {
    const answer = await this.call("check", fields, () => this.port.check(req));
    if (typeof answer !== "boolean") throw this.malformed("check", fields);
    return answer;
  }

  /** Many checks in one call; anything but one boolean per request, in order, fails closed. */
  async checkMany(reqs: readonly CheckRequest[], fields: CallFields): Promise<boolean[]> {
    const answers = await this.call("checkMany", fields, () => this.port.checkMany(reqs));
    if (
      !Array.isArray(answers) ||
      answers.length !== reqs.length ||
      !answers.every((a) => typeof a === "boolean")
    ) {
      throw this.malformed("checkMany", fields);
    }
    return answers;
  }

  /** A lookup: `null` (unscoped) or distinct valid ids; anything else fails closed. */
  async lookup(req: LookupRequest, fields: CallFields): Promise<string[] | null> {
    const ids = await this.call("lookup", fields, () => this.port.lookup(req));
    if (ids === null) return null;
    if (!Array.isArray(ids) || !ids.every(isValidId)) throw this.malformed("lookup", fields);
    return [...new Set(ids)];
  }

  /** A write; a missing result is an empty one. */
  async write(
    op: WriteOp,
    fields: CallFields,
    fn: (port: AuthorizationPort) => Promise<WriteResult>,
  ): Promise<WriteResult> {
    return (await this.call(op, fields, () => fn(this.port))) ?? {};
  }

  private async call<T>(op: string, fields: CallFields, fn: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AuthorizationUnavailableError()), this.timeoutMs);
    });
    try {
      return await Promise.race([Promise.resolve().then(fn), deadline]);
    } catch (error) {
      const mapped = hasFgacCode(error, ...PORT_ERROR_CODES)
        ? error
        : new AuthorizationUnavailableError(undefined, { cause: error });
      this.logger.error({ fgac: op, ...fields, error: mapped.code }, `fgac: ${op} failed`);
      throw mapped;
    } finally {
      clearTimeout(timer);
    }
  }

  private malformed(op: string, fields: CallFields): AuthorizationUnavailableError {
    this.logger.error({ fgac: op, ...fields, error: "malformed_answer" }, `fgac: ${op} failed`);
    return new AuthorizationUnavailableError();
  }
}
