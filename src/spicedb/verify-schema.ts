// verifySchema: checks at startup that the live SpiceDB schema has every type, permission and
// relation the kinds and port options name, so that a mismatch stops the service, not a request.
import { deadlineInterceptor, v1 } from "@authzed/authzed-node";
import { ConfigurationError } from "../core/errors.js";
import { callSpiceDB } from "./errors.js";
import { DEFAULT_DEADLINE_MS, type SpiceDBConnection, type SpiceDBPortOptions } from "./options.js";
import { readSchemaText, SchemaTextError } from "./schema-text.js";

/**
 * Options of {@link verifySchema}.
 *
 * @example
 * ```ts
 * const options: VerifySchemaOptions = {
 *   resources: [agent, apiKey, task, tenant],
 *   subjects: [{ type: "user" }, { type: "service_account" }],
 *   portOptions: agentexPortOptions,
 * };
 * ```
 */
export interface VerifySchemaOptions {
  /** The kinds the service uses: each one's type, permissions and read permission are checked. */
  resources: ReadonlyArray<{
    readonly type: string;
    readonly permissions: readonly string[];
    readonly readPermission?: string | undefined;
  }>;
  /** Subject types the service uses (e.g. a generated module's `subjectKinds`). */
  subjects?: ReadonlyArray<{ readonly type: string }>;
  /** The options the port is given: `types`, `ownerRelation`, `parentRelations`. */
  portOptions?: SpiceDBPortOptions;
}

/** What the schema is asked: a definition, and a relation or permission of it. */
interface Need {
  /** How the message names it: the library type, and the definition when it differs. */
  label: string;
  definition: string;
  member?: { name: string; what: "permission" | "relation" | "owner relation" | "parent relation" };
}

/** How one schema answers what it has: from its text, or one check per question. */
type Answers = (needs: readonly Need[]) => Promise<Array<"ok" | "no-definition" | "missing">>;

const PROBE_ID = "fgac_verify_schema";
const CHUNK = 500;

/**
 * Reads the live schema and checks that it has every kind's type (through `portOptions.types`),
 * each of its permissions and its read permission (as a permission or a relation), every subject
 * type, the owner relation (on every kind with a parent relation) and each parent relation.
 *
 * With a client that answers `readSchema` (`@authzed/authzed-node`'s full client, or an
 * endpoint), the schema is read once. With one that does not, each name is asked of SpiceDB
 * through one bulk check, which fails for a name the schema lacks: the same answer.
 *
 * @param connection - as {@link spicedbPort}'s: `{ client }` or `{ endpoint, token, insecure? }`
 * @param options - `resources`, `subjects`, `portOptions`
 * @throws `ConfigurationError` listing every mismatch (names only, never an id)
 * @throws `AuthorizationUnavailableError` when SpiceDB cannot be reached
 * @example
 * ```ts
 * import { portOptions, resourceKinds, subjectKinds } from "./authz.js"; // fgac generate
 *
 * const spicedb = await startEmbeddedSpiceDB({ schema, portOptions });
 * await verifySchema({ client: spicedb.client }, {
 *   resources: resourceKinds,
 *   subjects: subjectKinds,
 *   portOptions,
 * });
 * ```
 */
export async function verifySchema(
  connection: SpiceDBConnection,
  options: VerifySchemaOptions,
): Promise<void> {
  const named = (list: unknown) =>
    Array.isArray(list) && list.every((k) => typeof (k as { type?: unknown })?.type === "string");
  if (!named(options?.resources) || !named(options.subjects ?? [])) {
    throw new ConfigurationError(
      "verifySchema: pass { resources } (the kinds the service uses) and optionally { subjects }, each with a type",
    );
  }
  const needs = needsOf(options);
  const { answers, close } = answerer(connection, options.portOptions?.deadlineMs);
  let found: Awaited<ReturnType<Answers>>;
  try {
    found = await answers(needs);
  } finally {
    close();
  }
  const problems = new Set<string>();
  needs.forEach((need, i) => {
    if (found[i] === "no-definition")
      problems.add(`${need.label}: no definition ${need.definition}`);
    else if (found[i] === "missing" && need.member)
      problems.add(`${need.label}: no ${need.member.what} ${need.member.name}`);
  });
  if (problems.size > 0) {
    throw new ConfigurationError(
      `verifySchema: the SpiceDB schema lacks what the service uses:\n- ${[...problems].join("\n- ")}`,
    );
  }
}

function needsOf(options: VerifySchemaOptions): Need[] {
  const types = options.portOptions?.types ?? {};
  const ref = (type: string) => {
    const definition = types[type] ?? type;
    return { definition, label: definition === type ? type : `${type} (${definition})` };
  };
  const parents = options.portOptions?.parentRelations ?? {};
  const owner = options.portOptions?.ownerRelation ?? "owner";
  const needs: Need[] = [];
  for (const kind of options.resources) {
    const r = ref(kind.type);
    needs.push(r);
    const permissions = new Set([
      ...kind.permissions,
      ...(kind.readPermission ? [kind.readPermission] : []),
    ]);
    for (const name of permissions) needs.push({ ...r, member: { name, what: "permission" } });
    if (parents[kind.type] !== undefined)
      needs.push({ ...r, member: { name: owner, what: "owner relation" } });
  }
  for (const [type, relation] of Object.entries(parents)) {
    const r = ref(type);
    needs.push(r, { ...r, member: { name: relation, what: "parent relation" } });
  }
  for (const subject of options.subjects ?? []) needs.push(ref(subject.type));
  return needs;
}

type SchemaClient = {
  promises: { readSchema?: (request: v1.ReadSchemaRequest) => Promise<v1.ReadSchemaResponse> };
};

function answerer(
  connection: SpiceDBConnection,
  deadlineMs = DEFAULT_DEADLINE_MS,
): { answers: Answers; close(): void } {
  if ("client" in connection) {
    const client = connection.client as typeof connection.client & SchemaClient;
    const read = client.promises.readSchema;
    return {
      answers: read
        ? fromText(() => read.call(client.promises, v1.ReadSchemaRequest.create({})))
        : fromChecks(client),
      close() {},
    };
  }
  if (typeof connection?.endpoint !== "string") {
    throw new ConfigurationError("verifySchema: pass { client } or { endpoint, token, insecure? }");
  }
  const client = v1.NewClient(
    connection.token,
    connection.endpoint,
    connection.insecure
      ? v1.ClientSecurity.INSECURE_PLAINTEXT_CREDENTIALS
      : v1.ClientSecurity.SECURE,
    2, // PreconnectServices.SCHEMA_SERVICE (not exported by @authzed/authzed-node)
    { interceptors: [deadlineInterceptor(deadlineMs)] },
  );
  return {
    answers: fromText(() => client.promises.readSchema(v1.ReadSchemaRequest.create({}))),
    close: () => client.close(),
  };
}

/** Answers from the schema text SpiceDB gives back. */
function fromText(read: () => Promise<v1.ReadSchemaResponse>): Answers {
  return async (needs) => {
    const { schemaText } = await callSpiceDB(read);
    let definitions: ReturnType<typeof readSchemaText>;
    try {
      definitions = readSchemaText(schemaText);
    } catch (error) {
      if (!(error instanceof SchemaTextError)) throw error;
      throw new ConfigurationError("verifySchema: could not read the schema SpiceDB answered", {
        cause: error,
      });
    }
    const byName = new Map(definitions.map((d) => [d.name, d]));
    return needs.map((need) => {
      const definition = byName.get(need.definition);
      if (!definition) return "no-definition";
      if (!need.member) return "ok";
      const { name, what } = need.member;
      const relations = definition.relations.map((r) => r.name);
      const members =
        what === "permission"
          ? [...relations, ...definition.permissions.map((p) => p.name)]
          : relations;
      return members.includes(name) ? "ok" : "missing";
    });
  };
}

/**
 * Answers by asking: a check of `definition:probe#name@definition:probe` fails for a definition
 * or a relation/permission the schema lacks, and is answered (no) for one it has. Relations and
 * permissions are not told apart this way: a parent relation that is a permission passes.
 */
function fromChecks(client: Extract<SpiceDBConnection, { client: unknown }>["client"]): Answers {
  return async (needs) => {
    const items = needs.map((need) => {
      const object = v1.ObjectReference.create({ objectType: need.definition, objectId: PROBE_ID });
      return v1.CheckBulkPermissionsRequestItem.create({
        resource: object,
        // A definition alone is asked through a relation it cannot have: only "no definition" counts.
        permission: need.member?.name ?? "fgac_probe_definition",
        subject: v1.SubjectReference.create({ object }),
      });
    });
    const out: Array<"ok" | "no-definition" | "missing"> = [];
    for (let i = 0; i < items.length; i += CHUNK) {
      const request = v1.CheckBulkPermissionsRequest.create({
        // The newest schema: a probe must not read one from before the last WriteSchema.
        consistency: v1.Consistency.create({
          requirement: { oneofKind: "fullyConsistent", fullyConsistent: true },
        }),
        items: items.slice(i, i + CHUNK),
      });
      const { pairs } = await callSpiceDB(() => client.promises.checkBulkPermissions(request));
      items.slice(i, i + CHUNK).forEach((_, j) => {
        const response = pairs[j]?.response;
        const need = needs[i + j] as Need;
        if (response?.oneofKind === "item") out.push("ok");
        else if (response?.oneofKind !== "error")
          throw new ConfigurationError("verifySchema: SpiceDB answered no result");
        else if (/object definition `[^`]*` not found/.test(response.error.message))
          out.push("no-definition");
        else if (/relation\/permission `[^`]*` not found/.test(response.error.message))
          out.push(need.member ? "missing" : "ok");
        else
          throw new ConfigurationError(`verifySchema: SpiceDB could not check ${need.label}`, {
            cause: new Error(response.error.message),
          });
      });
    }
    return out;
  };
}
