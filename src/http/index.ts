/**
 * HTTP backend: {@link httpPort}, a client of an agentex-auth-style authorization service, and
 * {@link createAuthzHandler}, that service over any port as a fetch handler. Uses only `fetch`,
 * `Request` and `Response`: runs on Node, Deno, Bun and Workers.
 *
 * @module fgac/http
 */
export { type HttpPortOptions, httpPort } from "./client.js";
export {
  type AuthorizeInput,
  type AuthzHandlerOptions,
  createAuthzHandler,
  type Unauthenticated,
} from "./server.js";
export {
  WIRE_OPS,
  type WireCheckBody,
  type WireDeregisterBody,
  type WireOp,
  type WireRegisterBody,
  type WireRelationBody,
  type WireResource,
  type WireSearchBody,
  wireSearchAnswer,
  wireWriteAnswer,
} from "./wire.js";
