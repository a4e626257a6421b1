// The path-parameter guard every adapter's `authorizeParam` runs: its options and their check,
// and the guard itself, which hands the raw id to the core's checkOrNotFound.
import * as z from "zod/mini";
import { parseOptions } from "../core/options.js";
import type {
  CollapsePolicy,
  PermissionOf,
  RequestAuthorizer,
  Resource,
  ResourceKind,
} from "../index.js";

/**
 * Options of `authorizeParam` in every adapter.
 *
 * @example
 * ```ts
 * authorizeParam({ param: "id", resource: apiKey, permission: "delete", collapse: "always" });
 * ```
 */
export interface AuthorizeParamOptions<K extends ResourceKind> {
  /** Name of the path parameter holding the id. */
  param: string;
  /** The resource kind, e.g. `apiKey`: builds the resource and names its 404 message. */
  resource: K;
  /** The permission to check, e.g. `"read"`. */
  permission: PermissionOf<ReturnType<K>>;
  /** Collapse policy for this route (default: the authorizer's). */
  collapse?: CollapsePolicy;
}

const NAMES_A_PARAM = "must name a path parameter";

const paramOptionsSchema = z.object(
  {
    param: z.string({ error: NAMES_A_PARAM }).check(z.minLength(1, NAMES_A_PARAM)),
    resource: z.custom<ResourceKind>(
      (value) =>
        typeof value === "function" &&
        typeof (value as { notFoundMessage?: unknown }).notFoundMessage === "string",
      "must be a kind from defineResource()",
    ),
    permission: z.string({ error: "is required" }),
  },
  { error: "options { param, resource, permission } are required" },
);

/**
 * @internal Checks `authorizeParam` options when the guard is created.
 * @param where - the factory, named in the error: `fgac/express authorizeParam()`
 * @throws `ConfigurationError` naming the factory and every invalid option
 */
export function assertParamOptions<K extends ResourceKind>(
  options: AuthorizeParamOptions<K>,
  where: string,
): void {
  parseOptions(where, paramOptionsSchema, options);
}

/**
 * @internal The guard every adapter runs: `checkOrNotFound` with the kind's 404 message. A
 * valid id is built by the kind, so the collapse policy asks the kind's own read permission (a
 * schema without `read` collapses on `view`, say). An invalid one goes to the core as it came
 * (`kind(raw)` would throw): the core answers it with that same 404, before any backend call.
 */
export async function guardParam<K extends ResourceKind>(
  authz: RequestAuthorizer,
  options: AuthorizeParamOptions<K>,
  raw: unknown,
): Promise<void> {
  const kind = options.resource;
  const resource = kind.isValidId(raw) ? kind(raw) : ({ type: kind.type, id: raw } as Resource);
  await authz.checkOrNotFound(resource, options.permission as PermissionOf<Resource>, {
    message: kind.notFoundMessage,
    ...(options.collapse ? { collapse: options.collapse } : {}),
  });
}
