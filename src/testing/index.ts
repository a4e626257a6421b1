/**
 * Test aids for users of the library: an in-memory port that denies by default, records
 * every call and can be told to fail, and a recording logger.
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
