// npm run demo: the library's main job on the embedded SpiceDB, as a table of decisions.
import {
  API_KEY_NOT_FOUND_MESSAGE,
  agent,
  apiKey,
  createAuthorizer,
  type RequestAuthorizer,
  tenant,
  toErrorResponse,
  user,
  withAuthorizedIds,
} from "../src/index.js";
import { agentexSchema, startEmbeddedSpiceDB } from "../src/spicedb/index.js";

const spicedb = await startEmbeddedSpiceDB({
  schema: agentexSchema,
  relationships: [
    // Two tenants and their people.
    "tenant:acme#member@user:alice",
    "tenant:acme#member@user:bob",
    "tenant:globex#member@user:mallory",
    // bob may look at alice's agent, not change it.
    "agent:support-bot#viewer@user:bob",
  ],
});
const authorizer = createAuthorizer({ port: spicedb.port });
const as = (who: string): RequestAuthorizer => authorizer.forSubject(user(who));

// Register agents and keys the way a service does on create: owner + parent edge, atomically.
await as("alice").register(agent("support-bot"), { parent: tenant("acme") });
await as("mallory").register(agent("billing-bot"), { parent: tenant("globex") });
await as("alice").register(apiKey("key-alice"), { parent: agent("support-bot") });
await as("bob").register(apiKey("key-bob"), { parent: agent("support-bot") });
await as("mallory").register(apiKey("key-mallory"), { parent: agent("billing-bot") });

/** What an HTTP route answers: 200, or the exact status and body of the error. */
async function answer(op: () => Promise<unknown>): Promise<string> {
  try {
    await op();
    return "200 allowed";
  } catch (error) {
    const { status, body } = toErrorResponse(error);
    return `${status} ${body}`;
  }
}

const rows: Array<[string, string]> = [
  [
    "alice reads her key (owner)",
    await answer(() => as("alice").checkOrNotFound(apiKey("key-alice"), "read")),
  ],
  [
    "mallory (globex) reads alice's key (acme)",
    await answer(() => as("mallory").checkOrNotFound(apiKey("key-alice"), "read")),
  ],
  [
    "mallory reads a key that does not exist",
    await answer(() => as("mallory").checkOrNotFound(apiKey("no-such-key"), "read")),
  ],
  [
    "bob deletes his own key (no update on the agent)",
    await answer(() => as("bob").checkOrNotFound(apiKey("key-bob"), "delete")),
  ],
  [
    "bob deletes it, collapse: always",
    await answer(() =>
      as("bob").checkOrNotFound(apiKey("key-bob"), "delete", { collapse: "always" }),
    ),
  ],
  [
    "alice deletes her key (owner + agent owner)",
    await answer(() => as("alice").checkOrNotFound(apiKey("key-alice"), "delete")),
  ],
];

const table = [...rows];
const keys = ["key-alice", "key-bob", "key-mallory"];
for (const who of ["alice", "bob", "mallory", "nobody"]) {
  const ids = await as(who).authorizedIds(apiKey, "read");
  const listed = await withAuthorizedIds(ids, (ids) => keys.filter((k) => !ids || ids.includes(k)));
  table.push([`${who} lists api keys`, `[${listed.join(", ")}]`]);
}
// One agent's keys: the lookup follows that agent's edges, not everything bob can read.
const underAgent = await as("bob").authorizedIds(apiKey, "read", { parent: agent("support-bot") });
table.push(["bob lists support-bot's keys", `[${(underAgent ?? []).join(", ")}]`]);
// Many decisions, one bulk call: which of these keys may alice delete?
const deletable = await as("alice").canMany(
  keys.map((k) => apiKey(k)),
  "delete",
);
table.push([
  "alice may delete (one bulk call)",
  `[${keys.filter((_, i) => deletable[i]).join(", ")}]`,
]);

const width = Math.max(...table.map(([k]) => k.length));
console.log(
  `\nfgac demo: embedded SpiceDB, agentex schema (absent and hidden keys both say "${API_KEY_NOT_FOUND_MESSAGE}")\n`,
);
for (const [what, result] of table) console.log(`${what.padEnd(width)}  ${result}`);
const [absent, hidden] = [rows[2]?.[1], rows[1]?.[1]];
console.log(`\nabsent and cross-tenant answers byte-identical: ${absent === hidden}`);
await spicedb.close();
