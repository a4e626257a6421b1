// A scoped list through the example services reveals nothing about another tenant's agent:
// mallory listing the keys of acme's agent with thousands of keys gets the same bytes as for an
// agent that does not exist, in about the same time (medians of interleaved timings over HTTP
// on loopback within 1.5x of each other: a ratio within one run, not an absolute timing).
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db, pgliteSql } from "../../examples/shared/db.js";
import { serve } from "../../examples/shared/server.js";
import { type Deps, startDeps } from "../../examples/shared/setup.js";
import { agent, apiKey, user } from "../../src/index.js";

/** Keys under the hidden agent: enough that reading them (the old behaviour) shows. */
const KEYS = 3000;
const HIDDEN = "bulk-bot";
const ABSENT = "no-such-agent";
const PAIRS = 200;

const bulk = [
  `agent:${HIDDEN}#tenant@tenant:acme`,
  `agent:${HIDDEN}#owner@user:alice`,
  ...Array.from({ length: KEYS }, (_, i) => [
    `agent_api_key:bulk-${i}#parent_agent@agent:${HIDDEN}`,
    `agent_api_key:bulk-${i}#owner@user:alice`,
  ]).flat(),
];

let pglite: PGlite;
let db: Db;
let deps: Deps;
beforeAll(async () => {
  pglite = await PGlite.create();
  db = await createDb(pgliteSql(pglite));
  deps = await startDeps({ db, relationships: bulk });
  await db.insertAgent({ id: HIDDEN, name: HIDDEN, tenant_id: "acme" });
});
afterAll(async () => {
  await deps?.close();
  await db?.close();
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * mallory lists the hidden agent's keys and the absent agent's, `PAIRS` times interleaved in a
 * random order per pair, through `framework` with `query` added: the same bytes (`[]`, no
 * `x-next-after`), and medians within 1.5x of each other.
 */
async function hiddenLikeAbsent(framework: "express" | "fastify" | "hono", query: string) {
  const served = await serve(framework, deps);
  const get = async (agentId: string) => {
    const started = performance.now();
    const res = await fetch(
      `http://127.0.0.1:${served.port}/agent_api_keys?agent_id=${agentId}${query}`,
      { headers: { "x-user-id": "mallory" } },
    );
    const body = await res.text();
    const next = res.headers.get("x-next-after");
    return { ms: performance.now() - started, status: res.status, body, next };
  };
  try {
    const [hidden, absent] = [await get(HIDDEN), await get(ABSENT)];
    expect(hidden).toMatchObject({ status: 200, body: "[]", next: null });
    expect(absent).toMatchObject({ status: 200, body: "[]", next: null });
    for (let i = 0; i < 20; i++) await Promise.all([get(HIDDEN), get(ABSENT)]); // warm up
    const times: Record<string, number[]> = { [HIDDEN]: [], [ABSENT]: [] };
    for (let i = 0; i < PAIRS; i++) {
      // Interleaved, in a random order per pair, so drift and GC hit both alike.
      const order = Math.random() < 0.5 ? [HIDDEN, ABSENT] : [ABSENT, HIDDEN];
      for (const id of order) {
        const answer = await get(id);
        expect(answer.body).toBe("[]");
        times[id]!.push(answer.ms);
      }
    }
    const [h, a] = [median(times[HIDDEN]!), median(times[ABSENT]!)];
    expect(
      Math.max(h, a) / Math.min(h, a),
      `medians ${h.toFixed(2)} vs ${a.toFixed(2)} ms`,
    ).toBeLessThan(1.5);
  } finally {
    await served.close();
  }
}

describe.each(["express", "fastify", "hono"] as const)("scoped list on %s", (framework) => {
  it("a hidden agent's keys and an absent agent's: the same bytes, medians within 1.5x", async () => {
    const alice = deps.authorizer.forSubject(user("alice"));
    const visible = await alice.authorizedIds(apiKey, "read", { parent: agent(HIDDEN) });
    expect(visible).toHaveLength(KEYS); // the hidden agent really has them
    await hiddenLikeAbsent(framework, "");
  }, 120_000);
});

// The same with keyset paging (`after=`, authz.page): the service checks the agent first, so
// the hidden agent's keys are never read or bulk-checked.
describe.each(["express", "fastify", "hono"] as const)("keyset scoped list on %s", (framework) => {
  it("a hidden agent's keys and an absent agent's: the same bytes, medians within 1.5x", async () => {
    await hiddenLikeAbsent(framework, "&after=");
  }, 120_000);
});
