// Scenarios run over every adapter (Express 5 and 4, Fastify 5 and 4, Hono): the same error
// answers the same status, content-type and bytes, and a route without the middleware fails.
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import * as ex from "../../src/adapters/express.js";
import * as fa from "../../src/adapters/fastify.js";
import * as ho from "../../src/adapters/hono.js";
import {
  AuthorizationError,
  AuthorizationUnavailableError,
  ConfigurationError,
  ConflictError,
  createAuthorizer,
  InvalidIdentifierError,
  NotFoundError,
  UnauthenticatedError,
} from "../../src/index.js";
import { memoryPort } from "../../src/testing/index.js";

const require = createRequire(import.meta.url);
const express4 = require("express4") as typeof express;
const Fastify4 = require("fastify4") as typeof Fastify;

// No scenario here reaches the backend: an anonymous caller, and errors thrown by the routes.
const authorizer = createAuthorizer({ port: memoryPort() });

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
});
