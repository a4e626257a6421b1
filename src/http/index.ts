/**
 * HTTP backend: {@link httpPort}, a client of an agentex-auth-style authorization service, and
 * {@link createAuthzHandler}, that service over any port as a fetch handler. Uses only `fetch`,
 * `Request` and `Response`: runs on Node, Deno, Bun and Workers.
 *
 * @module fgac/http
 */
export { type HttpPortOptions, httpPort } from "./client.js";
export { type AuthzHandlerOptions, createAuthzHandler } from "./server.js";
export {
  WIRE_OPS,
  type WireOp,
  type WireResource,
  wireSearchAnswer,
  wireWriteAnswer,
} from "./wire.js";
