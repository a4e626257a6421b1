/**
 * fgac: fine-grained, relationship-based authorization for Node web services.
 *
 * ```ts
 * import { createAuthorizer, defineResource, user, withAuthorizedIds } from "fgac";
 * import { spicedbPort } from "fgac/spicedb";
 *
 * const document = defineResource("document", {
 *   notFoundMessage: "Document not found.",
 *   permissions: ["read", "delete"] as const,
 * });
 * const authorizer = createAuthorizer({ port: spicedbPort({ endpoint, token }) }); // once
 *
 * const authz = authorizer.forSubject(user(userId)); // per request (the adapters do it)
 * await authz.checkOrNotFound(document(id), "read"); // 404 when hidden or absent, alike
 * const ids = await authz.authorizedIds(document, "read");
 * const rows = await withAuthorizedIds(ids, (ids) => db.documents(ids)); // filtered in SQL
 * ```
 *
 * The core: resources and subjects, errors and their HTTP mapping, the authorization port,
 * the authorizer (deadlines, fail-closed answers, collapse to 404, subject-free logging), list
 * filtering and the dual-write helpers. It never loads a framework, gRPC or a native library.
 * Start with [Getting started](../docs/getting-started.md).
 *
 * @module fgac
 */

export {
  type AgentexPermission,
  API_KEY_NOT_FOUND_MESSAGE,
  agent,
  apiKey,
  task,
  tenant,
} from "./core/agentex.js";
export {
  type Authorizer,
  type AuthorizerOptions,
  createAuthorizer,
  type ForSubjectOptions,
} from "./core/authorizer.js";
export { type CollapsePolicy, collapseToNotFound } from "./core/collapse.js";
export {
  type CreateRegisteredOptions,
  createRegistered,
  DEFAULT_WRITE_TIMEOUT_MS,
  type DualWriteOptions,
  deleteDeregistered,
  type OrphanReport,
  type RegisteredTarget,
} from "./core/dual-write.js";
export {
  AuthorizationError,
  AuthorizationUnavailableError,
  type AuthorizationUnavailableErrorOptions,
  ConfigurationError,
  ConflictError,
  type ErrorBodyInput,
  type ErrorResponse,
  FGAC_ERROR_STATUS,
  FgacError,
  type FgacErrorCode,
  type FgacErrorOptions,
  INTERNAL_ERROR_MESSAGE,
  InvalidConsistencyTokenError,
  InvalidIdentifierError,
  isFgacError,
  NotFoundError,
  type ResponseCode,
  type ToErrorResponseOptions,
  toErrorResponse,
  UnauthenticatedError,
} from "./core/errors.js";
export {
  type FindOrNotFoundOptions,
  findOrNotFound,
  PLACEHOLDER_ID,
} from "./core/find-or-not-found.js";
export type { Limits, RetryOptions } from "./core/guarded-port.js";
export { withAuthorizedIds } from "./core/list-filter.js";
export { type Logger, silentLogger } from "./core/logger.js";
export type {
  CandidateFilter,
  Candidates,
  Page,
  PageOptions,
  PageRow,
} from "./core/page.js";
export {
  type AuthorizationPort,
  type CallOptions,
  type CheckRequest,
  type Consistency,
  DEFAULT_RELATION,
  type DeregisterRequest,
  type LookupRequest,
  type RegisterRequest,
  type Registration,
  type RegistrationsPage,
  type RegistrationsRequest,
  type RelationRequest,
  type WriteResult,
} from "./core/port.js";
export {
  type ReconcileFinding,
  type ReconcileOptions,
  type ReconcileReport,
  type ReconcileRow,
  reconcile,
} from "./core/reconcile.js";
export type {
  AuthorizedIdsOptions,
  CheckOrNotFoundOptions,
  RegisterOptions,
  RequestAuthorizer,
} from "./core/request-authorizer.js";
export {
  assertValidId,
  type DefineResourceOptions,
  defineResource,
  defineSubject,
  isValidId,
  isValidRelationName,
  isValidTypeName,
  type PermissionOf,
  type Resource,
  type ResourceKind,
  type Subject,
  type SubjectKind,
  serviceAccount,
  subjectSet,
  user,
} from "./core/resources.js";
export type { TimingOptions, TimingStats } from "./core/timing.js";
