import { metrics, trace } from "@opentelemetry/api";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthorizationUnavailableError,
  agent,
  apiKey,
  createAuthorizer,
  user,
} from "../../src/index.js";
import type { EmbeddedSpiceDB } from "../../src/spicedb/index.js";
import { memoryPort } from "../../src/testing/index.js";
import { startAgentex } from "../support/agentex-world.js";
import { uid, withOverrides } from "../support/port-contract.js";

// The SDK's in-memory exporters, registered globally as an application would.
const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({
  exporter: metricExporter,
  exportIntervalMillis: 60_000,
});
let db: EmbeddedSpiceDB;

beforeAll(async () => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  db = await startAgentex();
});
afterAll(async () => {
  await db.close();
  trace.disable();
  metrics.disable();
});

/** Every metric exported so far, by name. */
async function collected() {
  await reader.forceFlush();
  const points = new Map<string, { attributes: Record<string, unknown>; value: unknown }[]>();
  for (const rm of metricExporter.getMetrics()) {
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        points.set(
          m.descriptor.name,
          m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
        );
      }
    }
  }
  return points;
}

describe("OpenTelemetry", () => {
  it("a span per backend call, with what was asked and decided, never who asked", async () => {
    spans.reset();
    const subject = user(uid("secret-subject"));
    const authz = createAuthorizer({ port: db.port }).forSubject(user("alice"));
    expect(await authz.can(apiKey("k-alice"), "read")).toBe(true);
    expect(await authz.canMany([apiKey("k-alice"), apiKey("k-bob")], "delete")).toEqual([
      true,
      false,
    ]);
    await authz.authorizedIds(apiKey, "read", { parent: agent("a1") });
    await createAuthorizer({ port: db.port }).forSubject(subject).can(apiKey("k-alice"), "read");
    const finished = spans.getFinishedSpans();
    expect(finished.map((s) => s.name)).toEqual([
      "fgac.check",
      "fgac.check_many",
      "fgac.check", // the parent's visibility, before the scoped lookup
      "fgac.lookup",
      "fgac.check",
    ]);
    expect(finished[0]?.attributes).toMatchObject({
      "fgac.operation": "check",
      "fgac.backend": "spicedb",
      "fgac.resource.type": "api_key",
      "fgac.permission": "read",
      "fgac.decision": "allowed",
      "fgac.outcome": "ok",
    });
    expect(finished[1]?.attributes).toMatchObject({
      "fgac.batch.size": 2,
      "fgac.allowed_count": 1,
    });
    expect(finished[3]?.attributes).toMatchObject({ "fgac.parent.type": "agent" });
    expect(finished[4]?.attributes).toMatchObject({ "fgac.decision": "denied" });
    expect(JSON.stringify(finished.map((s) => [s.name, s.attributes]))).not.toMatch(
      /secret-subject|alice|k-alice/,
    );
  });

  it("every bulk check span carries its batch size, the collapse's own included", async () => {
    spans.reset();
    const authz = createAuthorizer({ port: db.port, collapse: "unless-readable" }).forSubject(
      user("alice"),
    );
    // A denied delete under "unless-readable" asks delete and read in one bulk check.
    await expect(authz.checkOrNotFound(apiKey("k-bob"), "delete")).rejects.toThrow();
    const bulk = spans.getFinishedSpans().filter((s) => s.name === "fgac.check_many");
    expect(bulk).toHaveLength(1);
    expect(bulk[0]?.attributes).toMatchObject({ "fgac.batch.size": 2 });
  });

  it("a failed call is an error span and a counted backend error, by code only", async () => {
    spans.reset();
    const port = withOverrides(db.port, {
      check: () => Promise.reject(new Error("rpc error: code = Unavailable desc = user:alice")),
    });
    const authz = createAuthorizer({ port, retry: false }).forSubject(user("alice"));
    await expect(authz.can(apiKey("k-alice"), "read")).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
    const [span] = spans.getFinishedSpans();
    expect(span?.status.code).toBe(2);
    expect(span?.attributes).toMatchObject({
      "error.type": "authorization_unavailable",
      "fgac.outcome": "authorization_unavailable",
    });
    expect(JSON.stringify([span?.attributes, span?.events, span?.status])).not.toContain("alice");
    const points = await collected();
    expect(points.get("fgac.backend.errors")).toContainEqual({
      attributes: { "fgac.operation": "check", "error.type": "authorization_unavailable" },
      value: 1,
    });
  });

  it("a lookup a page abandons is no error: outcome abandoned, no backend error counted", async () => {
    spans.reset();
    // alice reads only the last of 60 rows (her page learns that lookups pay); bob reads all,
    // and his lookup hangs: his page abandons it and checks.
    const port = memoryPort();
    const rows = Array.from({ length: 60 }, (_, n) => ({ id: `k${String(n).padStart(2, "0")}` }));
    port.allow({ subject: user("alice"), resource: apiKey("k59"), permission: "read" });
    for (const row of rows) {
      port.allow({ subject: user("bob"), resource: apiKey(row.id), permission: "read" });
    }
    const candidates = (after: string | undefined, limit: number) =>
      rows.filter((r) => after === undefined || r.id > after).slice(0, limit);
    // Checking is slow (50 ms a call): the loop costs far more than alice's lookup, whatever
    // the machine's load.
    const slow = withOverrides(port, {
      checkMany: async (reqs, o) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return port.checkMany(reqs, o);
      },
    });
    const authorizer = createAuthorizer({ port: slow, retry: false });
    const options = { limit: 1, candidates, maxCandidates: 5 };
    await authorizer.forSubject(user("alice")).page(apiKey, "read", options);
    port.fail(undefined, { ops: ["lookup"], hang: true });
    const page = await authorizer.forSubject(user("bob")).page(apiKey, "read", options);
    expect(page.items).toEqual([{ id: "k00" }]);
    expect(port.callsOf("lookup")).toHaveLength(2);
    const lookups = spans.getFinishedSpans().filter((s) => s.name === "fgac.lookup");
    expect(lookups.map((s) => s.attributes["fgac.outcome"])).toEqual(["ok", "abandoned"]);
    expect(lookups[1]?.status.code).not.toBe(2);
    expect(lookups[1]?.attributes["error.type"]).toBeUndefined();
    const errors = (await collected()).get("fgac.backend.errors") ?? [];
    expect(errors.some((p) => p.attributes["fgac.operation"] === "lookup")).toBe(false);
  });

  it("metrics: decisions by outcome, call durations, bulk-check sizes", async () => {
    const authz = createAuthorizer({ port: db.port }).forSubject(user("bob"));
    await authz.canMany([apiKey("k-bob"), apiKey("k-alice"), apiKey("k-mallory")], "read");
    const points = await collected();
    const decisions = points.get("fgac.decisions") ?? [];
    expect(decisions).toContainEqual(
      expect.objectContaining({
        attributes: {
          "fgac.resource.type": "api_key",
          "fgac.permission": "read",
          "fgac.decision": "denied",
          "fgac.caller": "subject",
        },
      }),
    );
    const duration = points.get("fgac.operation.duration") ?? [];
    expect(duration.some((p) => p.attributes["fgac.operation"] === "check_many")).toBe(true);
    const batch = points.get("fgac.batch.size") ?? [];
    expect(batch.length).toBeGreaterThan(0);
    expect(JSON.stringify([...points.entries()])).not.toMatch(/"bob"|k-bob/);
  });
});
