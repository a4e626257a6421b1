// npm run trace-table: a few requests of the agentex demo traced with OpenTelemetry's in-memory
// exporter, printed as the markdown table docs/observability.md shows.
import { trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { agent, apiKey, createAuthorizer, user } from "../src/index.js";
import { agentexSchema, startEmbeddedSpiceDB } from "../src/spicedb/index.js";

const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
);
const db = await startEmbeddedSpiceDB({
  schema: agentexSchema,
  relationships: [
    "tenant:acme#member@user:alice",
    "agent:a1#tenant@tenant:acme",
    "agent:a1#owner@user:alice",
    "agent_api_key:k1#parent_agent@agent:a1",
    "agent_api_key:k1#owner@user:alice",
  ],
});
const authz = createAuthorizer({ port: db.port }).forSubject(user("alice"));
await authz.checkOrNotFound(apiKey("k1"), "read");
await authz.checkOrNotFound(apiKey("k2"), "delete").catch(() => {});
await authz.canMany([apiKey("k1"), apiKey("k2"), apiKey("k3")], "update");
await authz.authorizedIds(apiKey, "read", { parent: agent("a1") });
await authz.register(apiKey("k9"), { parent: agent("a1") });
await db.close();

const columns = [
  "fgac.resource.type",
  "fgac.permission",
  "fgac.decision",
  "fgac.batch.size",
  "fgac.parent.type",
  "fgac.backend",
  "fgac.outcome",
];
console.log(`| span | ms | ${columns.join(" | ")} |`);
console.log(`|${" --- |".repeat(columns.length + 2)}`);
for (const span of exporter.getFinishedSpans()) {
  const [s, ns] = span.duration;
  const ms = (s * 1000 + ns / 1e6).toFixed(2);
  const cells = columns.map((c) => String(span.attributes[c] ?? ""));
  console.log(`| ${span.name} | ${ms} | ${cells.join(" | ")} |`);
}
