// npm run bench: measures the batching levers of fgac on the embedded SpiceDB, each against a
// baseline measured in the same run, and prints ratios (absolute times on a shared machine are
// noise; ratios within one run are the result).
import { agent, apiKey, createAuthorizer, user } from "../src/index.js";
import { agentexSchema, startEmbeddedSpiceDB } from "../src/spicedb/index.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 30);

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

/** Median ms of `rounds` runs of `fn`, interleaved with the baseline by the caller. */
async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function compare(
  name: string,
  baseline: () => Promise<unknown>,
  candidate: () => Promise<unknown>,
) {
  const b: number[] = [];
  const c: number[] = [];
  await baseline();
  await candidate(); // warm up
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved so that machine noise hits both sides alike.
    b.push(await time(baseline));
    c.push(await time(candidate));
  }
  const [mb, mc] = [median(b), median(c)];
  console.log(
    `${name.padEnd(58)} baseline ${mb.toFixed(2).padStart(8)} ms  fgac ${mc.toFixed(2).padStart(8)} ms  ratio ${(mb / mc).toFixed(1)}x`,
  );
}

for (const keys of [500, 5000]) {
  const db = await startEmbeddedSpiceDB({ schema: agentexSchema, relationships: world(keys) });
  const relationships = 5 + keys * 2;
  const bob = createAuthorizer({ port: db.port, timeoutMs: 60_000 }).forSubject(user("bob"));
  console.log(`\n-- ${relationships} relationships, ${ROUNDS} rounds, medians --`);

  await compare(
    "checkOrNotFound(delete) on readable key: 2 checks vs 1 bulk",
    async () => {
      // What a naive "unless-readable" does: check the permission, then read.
      if (!(await bob.can(apiKey("k0"), "delete"))) await bob.can(apiKey("k0"), "read");
    },
    () => bob.checkOrNotFound(apiKey("k0"), "delete").catch(() => {}),
  );

  const alice = createAuthorizer({ port: db.port, timeoutMs: 60_000 }).forSubject(user("alice"));
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

for (const perAgent of [10, 100]) {
  const agents = 50;
  const rels = fleet(agents, perAgent);
  const db = await startEmbeddedSpiceDB({ schema: agentexSchema, relationships: rels });
  const alice = createAuthorizer({ port: db.port, timeoutMs: 60_000 }).forSubject(user("alice"));
  console.log(
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
