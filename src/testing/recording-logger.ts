// recordingLogger: a Logger that keeps every entry, so a test can assert what was logged
// (and that the subject never was).
import type { Logger } from "../core/logger.js";

/**
 * One line a {@link recordingLogger} received.
 *
 * @example
 * ```ts
 * const warnings: LogEntry[] = logger.entries.filter((e) => e.level === "warn");
 * expect(warnings[0]?.obj).toMatchObject({ fgac: "deregister", phase: "delete" });
 * ```
 */
export interface LogEntry {
  level: "info" | "warn" | "error" | "debug";
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/**
 * A logger that keeps every line, to assert on what was (and was not) logged.
 *
 * @example
 * ```ts
 * const logger: RecordingLogger = recordingLogger();
 * const authorizer = createAuthorizer({ port, logger });
 * await authorizer.forSubject(user("alice")).can(apiKey("k1"), "read");
 * expect(logger.text()).not.toContain("alice");
 * ```
 */
export interface RecordingLogger extends Logger {
  readonly entries: readonly LogEntry[];
  /** Every entry serialised, one per line: handy for `expect(text).not.toContain(secret)`. */
  text(): string;
  /** Forgets every entry. */
  clear(): void;
}

/**
 * A pino-shaped logger that records every entry.
 *
 * @example
 * ```ts
 * const logger = recordingLogger();
 * const authorizer = createAuthorizer({ port, logger });
 * // ...
 * expect(logger.text()).not.toContain("alice");
 * ```
 */
export function recordingLogger(): RecordingLogger {
  let entries: LogEntry[] = [];
  const at =
    (level: LogEntry["level"]) =>
    (obj: Record<string, unknown>, msg?: string): void => {
      entries.push({ level, obj, msg });
    };
  return {
    get entries() {
      return entries;
    },
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    debug: at("debug"),
    text() {
      return entries
        .map((e) => JSON.stringify({ level: e.level, ...e.obj, msg: e.msg }))
        .join("\n");
    },
    clear() {
      entries = [];
    },
  };
}
