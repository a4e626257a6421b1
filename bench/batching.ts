// The batching levers of one request: the collapse policy's two questions in one bulk call, 100
// checks in one bulk call, and a list scoped to a parent, each against the naive way.
import { agent, apiKey, createAuthorizer, user } from "../src/index.js";
import { agentexSchema, startEmbeddedSpiceDB } from "../src/spicedb/index.js";
import { compare, ROUNDS, say } from "./lib.js";

function world(keys: number): string[] {
  const rels = [
    "tenant:acme#member@user:alice",
    "tenant:acme#member@user:bob",
    "agent:a1#tenant@tenant:acme",
    "agent:a1#owner@user:alice",
    "agent:a1#viewer@user:bob",
  ];
  for (let i = 0; i < keys; i++) {
    rels.push(
      `agent_api_key:k${i}#parent_agent@agent:a1`,
      `agent_api_key:k${i}#owner@user:${i % 2 ? "alice" : "bob"}`,
    );
  }
  return rels;
}

/** alice owns `agents` agents in acme, each holding `perAgent` of her keys. */
function fleet(agents: number, perAgent: number): string[] {
  const rels = ["tenant:acme#member@user:alice"];
  for (let a = 0; a < agents; a++) {
    rels.push(`agent:a${a}#tenant@tenant:acme`, `agent:a${a}#owner@user:alice`);
    for (let k = 0; k < perAgent; k++) {
      rels.push(
        `agent_api_key:k${a}_${k}#parent_agent@agent:a${a}`,
        `agent_api_key:k${a}_${k}#owner@user:alice`,
      );
    }
  }
  return rels;
}

export async function batchingBench(): Promise<void> {
  for (const keys of [500, 5000]) {
    const db = await startEmbeddedSpiceDB({ schema: agentexSchema, relationships: world(keys) });
    const relationships = 5 + keys * 2;
    const authorizer = createAuthorizer({ port: db.port, timeoutMs: 60_000 });
    const bob = authorizer.forSubject(user("bob"));
    say(`\n-- ${relationships} relationships, ${ROUNDS} rounds, medians --`);
    await compare(
      "checkOrNotFound(delete) on readable key: 2 checks vs 1 bulk",
      async () => {
        // What a naive "unless-readable" does: check the permission, then read.
        if (!(await bob.can(apiKey("k0"), "delete"))) await bob.can(apiKey("k0"), "read");
      },
      () => bob.checkOrNotFound(apiKey("k0"), "delete").catch(() => {}),
    );
    const alice = authorizer.forSubject(user("alice"));
    const hundred = Array.from({ length: 100 }, (_, i) => apiKey(`k${i}`));
    await compare(
      "100 checks: sequential can (CheckPermission) vs canMany (bulk)",
      async () => {
        for (const k of hundred) await alice.can(k, "read");
      },
      () => alice.canMany(hundred, "read"),
    );
    await db.close();
  }

  for (const perAgent of [10, 100]) {
    const agents = 50;
    const rels = fleet(agents, perAgent);
    const db = await startEmbeddedSpiceDB({ schema: agentexSchema, relationships: rels });
    const alice = createAuthorizer({ port: db.port, timeoutMs: 60_000 }).forSubject(user("alice"));
    say(
      `\n-- ${rels.length} relationships (${agents} agents x ${perAgent} keys), ${ROUNDS} rounds, medians --`,
    );
    await compare(
      `one agent's keys: lookup all ${agents * perAgent} vs under the agent`,
      // The reference's way: every readable key, then the SQL filters by agent.
      () => alice.authorizedIds(apiKey, "read"),
      () => alice.authorizedIds(apiKey, "read", { parent: agent("a7") }),
    );
    await db.close();
  }
}
