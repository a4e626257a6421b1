import {
  AuthorizationUnavailableError,
  ConfigurationError,
  ConflictError,
  type FgacError,
  isFgacError,
} from "../core/errors.js";

/** gRPC status names, indexed by their numeric code. */
export const GRPC_CODES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

/** A gRPC status name, e.g. `"FAILED_PRECONDITION"`. */
export type GrpcCodeName = (typeof GRPC_CODES)[number];

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
 */
export function grpcStatusOf(error: unknown): { code: GrpcCodeName; details: string } | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; message?: unknown; details?: unknown };
  const message = typeof e.message === "string" ? e.message : "";
  if (typeof e.code === "number" && GRPC_CODES[e.code] !== undefined) {
    const details = typeof e.details === "string" ? e.details : message;
    return { code: GRPC_CODES[e.code] as GrpcCodeName, details };
  }
  const embedded = /rpc error: code = (\w+) desc = ([\s\S]*)$/.exec(message);
  if (embedded) {
    const name = fromCamel(embedded[1] ?? "");
    if ((GRPC_CODES as readonly string[]).includes(name)) {
      return { code: name as GrpcCodeName, details: embedded[2] ?? "" };
    }
  }
  const grpcJs = /^(\d+) [A-Z_]+: ([\s\S]*)$/.exec(message);
  if (grpcJs) {
    const name = GRPC_CODES[Number(grpcJs[1])];
    if (name) return { code: name, details: grpcJs[2] ?? "" };
  }
  return undefined;
}

/** True when SpiceDB rejected a write because a precondition did not hold. */
export function isPreconditionFailure(error: unknown): boolean {
  const status = grpcStatusOf(error);
  return (
    status !== undefined &&
    status.code === "FAILED_PRECONDITION" &&
    /precondition/i.test(status.details) &&
    !/not found/i.test(status.details)
  );
}

/**
 * Maps any error from a SpiceDB call to the library's errors. The result never carries the
 * upstream message in its own message (it can name the subject); the original is the `cause`.
 *
 * - unknown type / relation / permission, invalid argument: {@link ConfigurationError}
 *   (the schema and the code disagree);
 * - already exists / failed precondition on a write: {@link ConflictError};
 * - everything else (unavailable, deadline, cancelled, internal, unauthenticated, closed
 *   handle, ...): {@link AuthorizationUnavailableError}: fail closed.
 */
export function mapSpiceDBError(error: unknown): FgacError {
  if (isFgacError(error)) return error;
  const status = grpcStatusOf(error);
  if (status) {
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
  }
  return new AuthorizationUnavailableError(undefined, { cause: error });
}
