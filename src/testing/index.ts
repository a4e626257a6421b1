/**
 * Test aids for users of the library: an in-memory port that denies by default, records
 * every call and can be told to fail, and a recording logger.
 *
 * ```ts
 * import { createAuthorizer, user } from "fgac";
 * import { memoryPort, recordingLogger } from "fgac/testing";
 *
 * const port = memoryPort({
 *   allow: [{ subject: user("alice"), resource: { type: "document" }, permission: "read" }],
 * });
 * const logger = recordingLogger();
 * const authorizer = createAuthorizer({ port, logger, timing: false });
 *
 * await authorizer.forSubject(user("alice")).can(document("d1"), "read"); // true
 * port.fail(undefined, { ops: ["check"] }); // from now on checks fail: expect 503s
 * port.callsOf("check"); // what your code asked
 * logger.text(); // never contains "alice"
 * ```
 *
 * Guide: [Testing your app](../../docs/testing.md).
 *
 * @module fgac/testing
 */
export {
  type AllowRule,
  type FailOptions,
  type MemoryEdge,
  type MemoryPort,
  type MemoryPortCall,
  type MemoryPortOp,
  type MemoryPortOptions,
  memoryPort,
} from "./memory-port.js";
export { type LogEntry, type RecordingLogger, recordingLogger } from "./recording-logger.js";
