import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import express from "express";
import fc from "fast-check";
import Fastify from "fastify";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ex from "../src/express.js";
import * as fa from "../src/fastify.js";
import * as ho from "../src/hono.js";
import {
  AuthorizationError,
  AuthorizationUnavailableError,
  type Authorizer,
  apiKey,
  ConfigurationError,
  ConflictError,
  createAuthorizer,
  InvalidIdentifierError,
  isValidId,
  NotFoundError,
  UnauthenticatedError,
  user,
} from "../src/index.js";
import type { EmbeddedSpiceDB } from "../src/spicedb/index.js";
import { startAgentex } from "./support/agentex-world.js";
import { withOverrides } from "./support/port-contract.js";

const require = createRequire(import.meta.url);
const express4 = require("express4") as typeof express;
const Fastify4 = require("fastify4") as typeof Fastify;

let db: EmbeddedSpiceDB;
let authorizer: Authorizer;
beforeAll(async () => {
  db = await startAgentex();
  authorizer = createAuthorizer({ port: db.port });
});
afterAll(() => db.close());

const ERRORS: Array<[string, () => unknown]> = [
  ["forbidden", () => new AuthorizationError()],
  ["not found", () => new NotFoundError("Agent api_key not found.")],
  ["unauthenticated", () => new UnauthenticatedError()],
  ["invalid id", () => new InvalidIdentifierError()],
  ["conflict", () => new ConflictError()],
  [
    "unavailable",
    () =>
      new AuthorizationUnavailableError(undefined, { cause: new Error("secret upstream text") }),
  ],
  ["configuration", () => new ConfigurationError("schema lacks agent_api_key")],
  ["plain error", () => new Error("password=hunter2")],
];

type Wire = { status: number; type: string | null; body: string };

async function viaExpress(lib: typeof express, error: unknown): Promise<Wire> {
  const app = lib();
  app.use(ex.fgac({ authorizer, subject: ex.subjectFromHeaders() }));
  app.get("/boom", async (_req, _res, next) => next(error));
  app.use(ex.fgacErrorHandler());
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/boom`);
    return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
  } finally {
    server.close();
  }
}

async function viaFastify(error: unknown, lib: typeof Fastify = Fastify): Promise<Wire> {
  const app =
    lib === Fastify
      ? Fastify({ routerOptions: { maxParamLength: 1024 } })
      : lib({ maxParamLength: 1024 });
  await app.register(fa.fgacPlugin, { authorizer, subject: fa.subjectFromHeaders() });
  app.get("/boom", async () => {
    throw error;
  });
  const res = await app.inject({ method: "GET", url: "/boom" });
  await app.close();
  return { status: res.statusCode, type: String(res.headers["content-type"]), body: res.body };
}

async function viaHono(error: unknown): Promise<Wire> {
  const app = new Hono<ho.FgacEnv>();
  app.use(ho.fgac({ authorizer, subject: ho.subjectFromHeaders() }));
  app.onError(ho.fgacErrorHandler());
  app.get("/boom", () => {
    throw error;
  });
  const res = await app.request("/boom");
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
}

describe("the same error gives the same status, content-type and bytes everywhere", () => {
  it.each(ERRORS)("%s", async (_name, make) => {
    const answers = [
      await viaExpress(express, make()),
      await viaExpress(express4, make()),
      await viaFastify(make()),
      await viaFastify(make(), Fastify4),
      await viaHono(make()),
    ];
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]?.type).toBe("application/json; charset=utf-8");
    expect(answers[0]?.body).not.toMatch(/hunter2|secret upstream|agent_api_key/);
  });
});

describe("a route without the middleware fails clearly", () => {
  it("express", async () => {
    const app = express();
    app.get("/x", (req, res) => {
      res.json(ex.getFgac(req));
    });
    app.use(
      (err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).send(err instanceof ConfigurationError ? err.message : "other");
      },
    );
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
    server.close();
    expect(await res.text()).toMatch(/Install the fgac middleware/);
  });

  it("fastify and hono", async () => {
    const f = Fastify();
    f.get("/x", async (request) => fa.getFgac(request));
    f.setErrorHandler((err, _req, reply) =>
      reply.code(500).send(err instanceof ConfigurationError ? err.message : "other"),
    );
    expect((await f.inject({ url: "/x" })).body).toMatch(/Install the fgac middleware/);
    const h = new Hono();
    h.get("/x", (c) => c.json(ho.getFgac(c)));
    h.onError((err, c) => c.text(err instanceof ConfigurationError ? err.message : "other", 500));
    expect(await (await h.request("/x")).text()).toMatch(/Install the fgac middleware/);
  });

  it("bad options throw when the middleware is created", () => {
    expect(() => ex.fgac({} as never)).toThrow(ConfigurationError);
    expect(() => ho.fgac({ authorizer, subject: "x" as never })).toThrow(ConfigurationError);
    expect(() => ex.authorizeParam({ param: "", resource: apiKey, permission: "read" })).toThrow(
      ConfigurationError,
    );
  });
});

describe("fastify maxParamLength", () => {
  it("warns at registration when it is below 1024", async () => {
    const warnings: string[] = [];
    const low = Fastify();
    await low.register(fa.fgacPlugin, {
      authorizer,
      subject: () => null,
      warn: (m) => warnings.push(m),
    });
    expect(warnings.join()).toMatch(/maxParamLength is 100/);
    const high = Fastify({ routerOptions: { maxParamLength: 1024 } });
    await high.register(fa.fgacPlugin, {
      authorizer,
      subject: () => null,
      warn: (m) => warnings.push(m),
    });
    expect(warnings).toHaveLength(1);
  });
});

describe("bypass for trusted internal calls", () => {
  it("a request marked trusted is allowed and the reason is used", async () => {
    const app = new Hono<ho.FgacEnv>();
    app.use(
      ho.fgac({
        authorizer,
        subject: ho.subjectFromHeaders(),
        bypass: (c) =>
          c.req.header("x-internal-job") === "reconcile" ? "reconcile job" : undefined,
      }),
    );
    app.onError(ho.fgacErrorHandler());
    app.get(
      "/keys/:id",
      ho.authorizeParam({ param: "id", resource: apiKey, permission: "delete" }),
      (c) => c.json({ bypassed: c.var.fgac.bypassed }),
    );
    const trusted = await app.request("/keys/k-mallory", {
      headers: { "x-internal-job": "reconcile" },
    });
    expect(await trusted.json()).toEqual({ bypassed: true });
    expect(
      (await app.request("/keys/k-mallory", { headers: { "x-user-id": "alice" } })).status,
    ).toBe(404);
  });
});

describe("per-request consistency", () => {
  it("a token the client carries reaches every read of its request; a bad one is a 500", async () => {
    const seen: unknown[] = [];
    const port = withOverrides(db.port, {
      checkMany: (reqs) => {
        seen.push(...reqs.map((r) => r.consistency));
        return db.port.checkMany(reqs);
      },
    });
    const app = new Hono<ho.FgacEnv>();
    app.use(
      ho.fgac({
        authorizer: createAuthorizer({ port }),
        subject: ho.subjectFromHeaders(),
        consistency: (c) => {
          const token = c.req.header("x-zed-token");
          return token === undefined ? undefined : { kind: "atLeastAsFresh", token };
        },
      }),
    );
    app.onError(ho.fgacErrorHandler());
    app.get(
      "/keys/:id",
      ho.authorizeParam({ param: "id", resource: apiKey, permission: "delete" }),
      (c) => c.json({ ok: true }),
    );
    const { token } = await db.port.grant({
      subject: user("bob"),
      resource: apiKey("k-bob"),
      relation: "viewer",
    });
    const withToken = await app.request("/keys/k-alice", {
      headers: { "x-user-id": "alice", "x-zed-token": token! },
    });
    expect(withToken.status).toBe(200);
    expect(seen).toEqual([
      { kind: "atLeastAsFresh", token },
      { kind: "atLeastAsFresh", token },
    ]);
    seen.length = 0;
    expect((await app.request("/keys/k-alice", { headers: { "x-user-id": "alice" } })).status).toBe(
      200,
    );
    expect(seen).toEqual([undefined, undefined]);
    // An empty token is not a consistency: a configuration error, and nothing is allowed.
    const bad = await app.request("/keys/k-alice", {
      headers: { "x-user-id": "alice", "x-zed-token": "" },
    });
    expect(bad.status).toBe(500);
    expect(() =>
      ho.fgac({ authorizer, subject: ho.subjectFromHeaders(), consistency: "fresh" as never }),
    ).toThrow(ConfigurationError);
  });
});

describe("subjectFromHeaders (property)", () => {
  it("never yields a subject with an invalid id; never both kinds", () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        (userId, serviceId) => {
          const headers: Record<string, string> = {};
          if (userId !== undefined) headers["x-user-id"] = userId;
          if (serviceId !== undefined) headers["x-service-account-id"] = serviceId;
          let subject: unknown;
          let error: unknown;
          try {
            subject = ex.subjectFromHeaders()({ headers } as never);
          } catch (e) {
            error = e;
          }
          if (error) {
            expect(error).toBeInstanceOf(UnauthenticatedError);
            return;
          }
          if (userId === undefined && serviceId === undefined) expect(subject).toBeNull();
          else {
            expect(userId !== undefined && serviceId !== undefined).toBe(false);
            expect(isValidId((subject as { id: string }).id)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("several values of one header are rejected", () => {
    expect(() =>
      ex.subjectFromHeaders()({ headers: { "x-user-id": ["a", "b"] } } as never),
    ).toThrow(UnauthenticatedError);
  });
});

describe("error handler logging", () => {
  it("logs unexpected library errors by code and message, never their cause", async () => {
    const { recordingLogger } = await import("../src/testing/index.js");
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
