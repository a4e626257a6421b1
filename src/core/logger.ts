// The logger shape the library writes to (pino-shaped, always called as a method) and
// silentLogger, the default. The library never passes it the subject.

/**
 * A pino-shaped logger. The library never passes it the subject, and always calls it as a
 * method (pino needs its `this`).
 *
 * @example
 * ```ts
 * import pino from "pino";
 * const authorizer = createAuthorizer({ port, logger: pino() });
 * ```
 */
export interface Logger {
  /** Decisions (unless `decisionLogLevel` is `"debug"`) and writes. */
  info(obj: Record<string, unknown>, msg?: string): void;
  /** Bypasses and possible orphans. */
  warn(obj: Record<string, unknown>, msg?: string): void;
  /** Backend failures (the error code only, never the backend's message). */
  error(obj: Record<string, unknown>, msg?: string): void;
  /** Decisions, when `decisionLogLevel` is `"debug"`. */
  debug(obj: Record<string, unknown>, msg?: string): void;
}

/** The methods a {@link Logger} must have (checked when a factory takes one). */
export const LOGGER_METHODS = ["info", "warn", "error", "debug"] as const;

/**
 * A logger that drops everything: the default of `createAuthorizer`.
 *
 * @example
 * ```ts
 * const authorizer = createAuthorizer({ port, logger: silentLogger });
 * ```
 */
export const silentLogger: Logger = Object.freeze({
  info() {},
  warn() {},
  error() {},
  debug() {},
});
