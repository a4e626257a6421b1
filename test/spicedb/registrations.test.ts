import type { v1 } from "@authzed/authzed-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthorizationUnavailableError,
  ConfigurationError,
  type Registration,
  type RegistrationsRequest,
} from "../../src/index.js";
import {
  agentexPortOptions,
  agentexSchema,
  type EmbeddedSpiceDB,
  spicedbPort,
  startEmbeddedSpiceDB,
} from "../../src/spicedb/index.js";
import { withPromises } from "../support/spicedb-clients.js";

/** One key with more edges than one ReadRelationships call returns (1000), between two others. */
const VIEWERS = 1500;
const MANY = 2400;
const id = (i: number) => `m${String(i).padStart(5, "0")}`;

const relationships = [
  "agent_api_key:big#owner@user:alice",
  "agent_api_key:big#owner@service_account:ci",
  "agent_api_key:big#parent_agent@agent:a1",
  ...Array.from({ length: VIEWERS }, (_, i) => `agent_api_key:big#viewer@user:v${i}`),
  "agent_api_key:before#owner@user:alice",
  "agent_api_key:zafter#owner@user:bob",
  "agent_api_key:zafter#parent_agent@agent:a2",
  ...Array.from({ length: MANY }, (_, i) => [
    `task:${id(i)}#owner@user:alice`,
    `task:${id(i)}#parent_agent@agent:a1`,
  ]).flat(),
];

let db: EmbeddedSpiceDB;
beforeAll(async () => {
  db = await startEmbeddedSpiceDB({ schema: agentexSchema, relationships });
});
afterAll(() => db?.close());

async function pages(
  port = db.port,
  req: Omit<RegistrationsRequest, "cursor">,
): Promise<Registration[][]> {
  const out: Registration[][] = [];
  let cursor: string | undefined;
  do {
    const page = await port.registrations!({ ...req, ...(cursor ? { cursor } : {}) });
    out.push([...page.items]);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

describe("spicedbPort.registrations", () => {
  it("keeps an object with more edges than one read whole, on one page", async () => {
    const read = await pages(db.port, { resourceType: "api_key", limit: 1 });
    expect(read.map((p) => p.map((r) => r.id))).toEqual([["before"], ["big"], ["zafter"]]);
    const big = read[1]?.[0];
    expect(big?.owners).toEqual([
      { type: "service_account", id: "ci" },
      { type: "user", id: "alice" },
    ]);
    expect(big?.parents).toEqual([{ type: "agent", id: "a1" }]);
    const [all] = await pages(db.port, { resourceType: "api_key", limit: 10 });
    expect(all?.map((r) => r.id)).toEqual(["before", "big", "zafter"]);
    expect(all?.[2]).toEqual({
      id: "zafter",
      owners: [{ type: "user", id: "bob" }],
      parents: [{ type: "agent", id: "a2" }],
    });
  });

  it("pages thousands of objects in order, each once, at most `limit` a page", async () => {
    const read = await pages(db.port, { resourceType: "task", limit: 500 });
    expect(read.map((p) => p.length)).toEqual([500, 500, 500, 500, 400]);
    expect(read.flat().map((r) => r.id)).toEqual(Array.from({ length: MANY }, (_, i) => id(i)));
  });

  it("maps schema types back: api_key is agent_api_key in the schema", async () => {
    const plain = spicedbPort({ client: db.client });
    // No api_key definition in the schema: a configuration error, never an empty listing.
    await expect(
      plain.registrations!({ resourceType: "api_key", limit: 10 }),
    ).rejects.toBeInstanceOf(ConfigurationError);
    const [page] = await pages(plain, { resourceType: "agent_api_key", limit: 10 });
    // Without parentRelations no relation is a parent one: owners only.
    expect(page?.map((r) => [r.id, r.parents.length])).toEqual([
      ["before", 0],
      ["big", 0],
      ["zafter", 0],
    ]);
  });

  it("honours an aborted signal and refuses a bad request before any call", async () => {
    let calls = 0;
    const client = withPromises(db.client, {
      readRelationships: (r) => {
        calls += 1;
        return db.client.promises.readRelationships(r);
      },
    });
    const port = spicedbPort({ client }, agentexPortOptions);
    await expect(
      port.registrations!({ resourceType: "api_key", limit: 5 }, { signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    for (const bad of [
      { resourceType: "API KEY", limit: 5 },
      { resourceType: "api_key", limit: 0 },
      { resourceType: "api_key", limit: 5, cursor: "" },
    ]) {
      await expect(port.registrations!(bad)).rejects.toBeInstanceOf(ConfigurationError);
    }
    expect(calls).toBe(0);
  });

  it("fails closed on edges not asked for, invalid ids or ids out of order", async () => {
    const mutated = (mutate: (rows: v1.ReadRelationshipsResponse[]) => void) =>
      spicedbPort(
        {
          client: withPromises(db.client, {
            readRelationships: async (r) => {
              const rows = await db.client.promises.readRelationships(r);
              mutate(rows);
              return rows;
            },
          }),
        },
        agentexPortOptions,
      );
    for (const mutate of [
      (rows: v1.ReadRelationshipsResponse[]) => {
        rows[0]!.relationship!.resource!.objectType = "task";
      },
      (rows: v1.ReadRelationshipsResponse[]) => {
        rows[0]!.relationship!.resource!.objectId = "*";
      },
      (rows: v1.ReadRelationshipsResponse[]) => rows.reverse(),
    ]) {
      await expect(
        mutated(mutate).registrations!({ resourceType: "api_key", limit: 10 }),
      ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    }
  });
});
