// The answers of fgacErrorHandler and fgacNotFoundHandler on every adapter: unmatched routes
// and the frameworks' own client errors in fgac's shape, never echoing the request; and
// unexpected library errors logged by code and message, never with their cause.
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fa from "../../src/adapters/fastify.js";
import * as ho from "../../src/adapters/hono.js";
import { ConfigurationError, createAuthorizer } from "../../src/index.js";
import { memoryPort, recordingLogger } from "../../src/testing/index.js";
import { ADAPTERS, type App, type AppOptions, BODY_LIMIT } from "./apps.js";

const NOT_FOUND = '{"message":"Not found.","code":404,"data":null}';
const HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
const SECRET = "s3cr3t";
const authorizer = createAuthorizer({ port: memoryPort() });

function expectShape(answer: { status: number; headers: Record<string, string>; body: string }) {
  expect(answer.headers).toMatchObject(HEADERS);
  expect(JSON.parse(answer.body)).toEqual({
    message: expect.any(String),
    code: answer.status,
    data: null,
  });
  expect(answer.body).not.toContain(SECRET);
  expect(answer.body).not.toMatch(/PATCH|DELETE|GET|keys|body/);
}

describe.each(ADAPTERS)("$name", (adapter) => {
  let app: App;
  beforeAll(async () => {
    app = await adapter.start({ authorizer });
  });
  afterAll(() => app.close());

  it("an unmatched route answers fgac's 404, the same bytes for every method and path", async () => {
    const targets: Array<[string, string]> = [
      ["PATCH", `/keys/${SECRET}<script>`],
      ["GET", `/${SECRET}`],
      ["DELETE", `/KEYS/${SECRET}`],
      ["GET", `/keys/${SECRET}/`],
      ["OPTIONS", "/keys/k1"],
      ["PUT", `/body?${SECRET}=1`],
    ];
    for (const [method, target] of targets) {
      const answer = await app.send(method, target);
      expect(answer.status, `${method} ${target}`).toBe(404);
      expect(answer.body).toBe(NOT_FOUND);
      expectShape(answer);
    }
  });

  it("the frameworks' own client errors keep their status, in fgac's shape, echoing nothing", async () => {
    const json = { "content-type": "application/json" };
    const tooLarge = await app.send("POST", "/body", {
      headers: json,
      body: JSON.stringify({ [SECRET]: "x".repeat(BODY_LIMIT) }),
    });
    expect(tooLarge.status).toBe(413);
    expectShape(tooLarge);
    const badJson = await app.send("POST", "/body", { headers: json, body: `{"${SECRET}": ` });
    expect(badJson.status).toBe(400);
    expectShape(badJson);
    const malformed = await app.send("GET", `/keys/%E0%A4%A-${SECRET}`);
    expect([400, 404]).toContain(malformed.status);
    expectShape(malformed);
  });
});

/** Apps started in a test, closed after the file. */
const started: App[] = [];
afterAll(async () => {
  for (const a of started) await a.close();
});
const startOn = async (name: string, options: Partial<AppOptions> = {}) => {
  const app = await ADAPTERS.find((a) => a.name === name)!.start({ authorizer, ...options });
  started.push(app);
  return app;
};

describe.each(["express 5", "express 4"])("%s", (name) => {
  it("the not-found handler works after the error handler too", async () => {
    const last = await startOn(name, { notFoundLast: true });
    expect((await last.send("PATCH", `/keys/${SECRET}`)).body).toBe(NOT_FOUND);
    const json = { "content-type": "application/json" };
    expect((await last.send("POST", "/body", { headers: json, body: "{" })).status).toBe(400);
  });
});

describe.each(["fastify 5", "fastify 4"])("%s", (name) => {
  it("an unsupported media type is a 415 and a long parameter a 414, echoing nothing", async () => {
    const app = await startOn(name);
    const media = await app.send("POST", "/body", {
      headers: { "content-type": `application/${SECRET}` },
      body: SECRET,
    });
    expect(media.status).toBe(415);
    expectShape(media);
    const long = await app.send("GET", `/keys/${SECRET}${"x".repeat(1100)}`);
    expect(long.status).toBe(name === "fastify 5" ? 414 : 404); // Fastify 4: no route
    expectShape(long);
    // Without frameworkErrors, Fastify answers that itself; unmatched routes are still ours.
    const defaults = await startOn(name, { fastifyDefaults: true });
    expect((await defaults.send("PATCH", `/${SECRET}`)).body).toBe(NOT_FOUND);
  });
});

describe("error handler logging", () => {
  it("logs unexpected library errors by code and message, never their cause", async () => {
    const logger = recordingLogger();
    const app = new Hono();
    app.onError(ho.fgacErrorHandler({ logger }));
    app.get("/x", () => {
      throw new ConfigurationError("schema mismatch", {
        cause: new Error("rpc error: code = InvalidArgument desc = user:alice-secret"),
      });
    });
    const res = await app.request("/x");
    expect(res.status).toBe(500);
    expect(logger.entries).toHaveLength(1);
    expect(logger.text()).toContain("configuration_error");
    expect(logger.text()).not.toContain("alice-secret");
  });
});

describe("a 500 is never silent", () => {
  /** Process warnings emitted while `fn` runs. */
  async function warningsDuring(fn: () => Promise<unknown>): Promise<Error[]> {
    const seen: Error[] = [];
    const listener = (w: Error) => seen.push(w);
    process.on("warning", listener);
    try {
      await fn();
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    } finally {
      process.off("warning", listener);
    }
    return seen;
  }

  it("without a logger, each kind of unexpected error is a process warning once, with its stack", async () => {
    const app = new Hono();
    app.onError(ho.fgacErrorHandler());
    class PaymentBackendBroke extends Error {
      override name = "PaymentBackendBroke";
    }
    app.get("/x", () => {
      throw new PaymentBackendBroke("boom");
    });
    const warnings = await warningsDuring(async () => {
      for (let i = 0; i < 3; i++) expect((await app.request("/x")).status).toBe(500);
    });
    const ours = warnings.filter((w) => w.message.includes("PaymentBackendBroke"));
    expect(ours).toHaveLength(1);
    expect((ours[0] as Error & { code?: string }).code).toBe("FGAC_UNHANDLED_ERROR");
    expect(ours[0]?.message).toContain("at "); // the stack
  });

  it("Fastify's maxParamLength warning reaches the user with Fastify's logger off", async () => {
    const { default: Fastify } = await import("fastify");
    const app = Fastify({ logger: false }); // maxParamLength 100
    const authorizer = createAuthorizer({ port: memoryPort() });
    const warnings = await warningsDuring(async () => {
      await app.register(fa.fgacPlugin, { authorizer, subject: () => null });
      await app.ready();
    });
    await app.close();
    expect(warnings.some((w) => /maxParamLength is 100/.test(w.message))).toBe(true);
  });
});
