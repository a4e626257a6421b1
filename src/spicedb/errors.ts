// SpiceDB's errors: the gRPC status of an error in either client's shape, and its mapping to
// the library's errors (configuration, conflict, rejected token, or unavailable: fail closed).
import type { status } from "@grpc/grpc-js";
import {
  AuthorizationUnavailableError,
  ConfigurationError,
  ConflictError,
  type FgacError,
  InvalidConsistencyTokenError,
  isFgacError,
} from "../core/errors.js";

/**
 * gRPC status codes by name, held by the compiler to grpc-js's `status` enum. A copy, not an
 * import: `@grpc/grpc-js` comes with `@authzed/authzed-node` but is no dependency of this package.
 */
const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const satisfies { readonly [Name in keyof typeof status]: (typeof status)[Name] };

/** A gRPC status name, e.g. `"FAILED_PRECONDITION"`. */
type GrpcCodeName = keyof typeof GRPC_STATUS;

/** The name of a numeric gRPC code; undefined for a number that is none. */
function nameOfCode(code: number): GrpcCodeName | undefined {
  return (Object.keys(GRPC_STATUS) as GrpcCodeName[]).find((name) => GRPC_STATUS[name] === code);
}

/** True for a gRPC status name such as `"UNAVAILABLE"`. */
function isCodeName(name: string): name is GrpcCodeName {
  return Object.hasOwn(GRPC_STATUS, name);
}

/** Go's CamelCase names as the embedded library prints them (`code = FailedPrecondition`). */
function fromCamel(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * Reads the gRPC status of an error in either shape: a grpc-js `ServiceError` (numeric `.code`,
 * message `"9 FAILED_PRECONDITION: ..."`) or the embedded library's plain `Error` whose message
 * reads `rpc error: code = FailedPrecondition desc = ...` and has no `.code`.
 *
 * @returns the status name and its description, or `undefined` when neither shape matches
 * @internal
 */
export function grpcStatusOf(error: unknown): { code: GrpcCodeName; details: string } | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; message?: unknown; details?: unknown };
  const message = typeof e.message === "string" ? e.message : "";
  const named = typeof e.code === "number" ? nameOfCode(e.code) : undefined;
  if (named) {
    const details = typeof e.details === "string" ? e.details : message;
    return { code: named, details };
  }
  const embedded = /rpc error: code = (\w+) desc = ([\s\S]*)$/.exec(message);
  if (embedded) {
    const name = fromCamel(embedded[1] ?? "");
    if (isCodeName(name)) return { code: name, details: embedded[2] ?? "" };
  }
  const grpcJs = /^(\d+) [A-Z_]+: ([\s\S]*)$/.exec(message);
  if (grpcJs) {
    const name = nameOfCode(Number(grpcJs[1]));
    if (name) return { code: name, details: grpcJs[2] ?? "" };
  }
  return undefined;
}

/** True when SpiceDB rejected a write because a precondition did not hold. */
function isPreconditionFailure(error: unknown): boolean {
  const status = grpcStatusOf(error);
  return (
    status !== undefined &&
    status.code === "FAILED_PRECONDITION" &&
    /precondition/i.test(status.details) &&
    !/not found/i.test(status.details)
  );
}

/**
 * True when SpiceDB rejected the request's consistency token. Each case is SpiceDB's own code
 * and wording (`internal/middleware/consistency`, `internal/services/shared/errors.go`):
 * - a token that does not decode (random bytes, truncated, not base64, a revision of another
 *   format): INVALID_ARGUMENT `invalid revision requested`;
 * - a revision this datastore does not have (from the future): OUT_OF_RANGE `invalid zedtoken: ...`;
 * - a token of another datastore, when SpiceDB is configured to refuse those
 *   (`--datastore-mismatched-token-behavior=error`; the default reads it as fully consistent):
 *   INTERNAL `... ZedToken specified references a different datastore instance ...`.
 * Nothing else matches, so a schema mismatch stays a ConfigurationError and an outage stays
 * unavailable.
 */
function isRejectedToken(status: { code: GrpcCodeName; details: string }): boolean {
  switch (status.code) {
    case "INVALID_ARGUMENT":
      return /^invalid revision requested$/i.test(status.details.trim());
    case "OUT_OF_RANGE":
      return /^invalid zedtoken:/i.test(status.details.trim());
    case "INTERNAL":
      return /ZedToken specified references a different datastore instance/.test(status.details);
    default:
      return false;
  }
}

/**
 * True when the same read may well succeed at once: the server was unreachable, or the
 * connection broke under the call (grpc-js reports a reset as UNAVAILABLE "Connection dropped",
 * or as INTERNAL/UNKNOWN naming ECONNRESET or EPIPE). Not DEADLINE_EXCEEDED: the call already
 * took its whole deadline, and a retry would spend the caller's remaining time waiting on a
 * server that is slow, not gone. Not CANCELLED (we or the caller ended it), RESOURCE_EXHAUSTED
 * (retrying at once adds to the load it complains of), nor any other INTERNAL or UNKNOWN: a
 * server fault repeats.
 */
function isTransient(status: { code: GrpcCodeName; details: string }): boolean {
  if (status.code === "UNAVAILABLE") return true;
  return (
    (status.code === "INTERNAL" || status.code === "UNKNOWN") &&
    /\b(ECONNRESET|EPIPE)\b|Connection dropped/.test(status.details)
  );
}

/**
 * Maps any error from a SpiceDB call to the library's errors. The result never carries the
 * upstream message in its own message (it can name the subject); the original is the `cause`.
 *
 * - a consistency token SpiceDB rejects (malformed, from the future, of another datastore where
 *   SpiceDB refuses those): {@link InvalidConsistencyTokenError} (400);
 * - unknown type / relation / permission, invalid argument: {@link ConfigurationError}
 *   (the schema and the code disagree);
 * - already exists / failed precondition on a write: {@link ConflictError};
 * - everything else (unavailable, deadline, cancelled, internal, unauthenticated, closed
 *   handle, ...): {@link AuthorizationUnavailableError}: fail closed. It is `transient` (the
 *   authorizer retries a read on it) for UNAVAILABLE and a reset connection only.
 *
 * @param error - what a call through `@authzed/authzed-node` or the embedded SpiceDB threw
 * @returns the library's error for it (an error of the library's own is returned as is)
 * @example
 * ```ts
 * try {
 *   await client.promises.writeRelationships(request);
 * } catch (error) {
 *   throw mapSpiceDBError(error); // a ConflictError when a precondition failed
 * }
 * ```
 */
export function mapSpiceDBError(error: unknown): FgacError {
  if (isFgacError(error)) return error;
  const status = grpcStatusOf(error);
  if (!status) return new AuthorizationUnavailableError(undefined, { cause: error });
  if (isRejectedToken(status)) return new InvalidConsistencyTokenError(undefined, { cause: error });
  const schemaMismatch =
    /not found|does not exist|undefined|unknown/i.test(status.details) &&
    (status.code === "FAILED_PRECONDITION" ||
      status.code === "INVALID_ARGUMENT" ||
      status.code === "NOT_FOUND");
  if (schemaMismatch || status.code === "INVALID_ARGUMENT") {
    return new ConfigurationError(
      "SpiceDB rejected the request: the schema does not match the types, relations or permissions used (see cause)",
      { cause: error },
    );
  }
  if (status.code === "ALREADY_EXISTS" || isPreconditionFailure(error)) {
    return new ConflictError(undefined, { cause: error });
  }
  return new AuthorizationUnavailableError(undefined, {
    cause: error,
    transient: isTransient(status),
  });
}

/**
 * Awaits one SpiceDB call, throwing what it throws as {@link mapSpiceDBError} maps it.
 *
 * @internal
 */
export async function callSpiceDB<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw mapSpiceDBError(error);
  }
}
