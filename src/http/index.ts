/**
 * HTTP backend: {@link httpPort}, a client of an agentex-auth-style authorization service, and
 * {@link createAuthzHandler}, that service over any port as a fetch handler. Uses only `fetch`,
 * `Request` and `Response`: runs on Node, Deno, Bun and Workers.
 *
 * ```ts
 * import { createAuthorizer } from "fgac";
 * import { createAuthzHandler, httpPort } from "fgac/http";
 *
 * // The service: any port behind POST /v1/authz/{op}, as a fetch handler.
 * const handler = createAuthzHandler(spicedbPort(connection, portOptions), {
 *   authenticate: (req) => req.headers.get("authorization") === `Bearer ${serviceToken}`,
 * });
 *
 * // Its clients: a port like any other.
 * const port = httpPort({
 *   baseUrl: "http://authz.internal:8080",
 *   headers: { authorization: `Bearer ${serviceToken}` },
 * });
 * const authorizer = createAuthorizer({ port });
 * ```
 *
 * Guide: [HTTP backend](../../docs/http-backend.md).
 *
 * @module fgac/http
 */
export { type HttpPortOptions, httpPort } from "./client.js";
export { type AgentexPrincipalOptions, agentexPrincipal } from "./principal.js";
export {
  type AuthorizeInput,
  type AuthzHandlerOptions,
  createAuthzHandler,
  type DefaultParentInput,
  type TypeLevelInput,
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
