// One small app per adapter (Express 5 and 4, Fastify 5 and 4, Hono), each driven through its
// framework's own request path, so a test can send every adapter the same request.
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type express from "express";
import type Fastify from "fastify";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { validator } from "hono/validator";
import * as ex from "../../src/adapters/express.js";
import * as fa from "../../src/adapters/fastify.js";
import * as ho from "../../src/adapters/hono.js";
import { type Authorizer, apiKey, type Consistency } from "../../src/index.js";
import { type RawAnswer, rawRequest } from "../e2e/raw-http.js";

const require = createRequire(import.meta.url);

/** The body limit of every app's `POST /body` route. */
export const BODY_LIMIT = 1024;

/** What every app is built with. */
export interface AppOptions {
  authorizer: Authorizer;
  consistency?: (header: string | undefined) => Consistency | undefined;
  /** Use the adapter's `consistencyFromHeader(name)` instead of `consistency`. */
  consistencyHeader?: string;
  /** Express only: install the not-found handler after the error handler, not before. */
  notFoundLast?: boolean;
  /** Fastify only: leave `frameworkErrors` unset and keep Fastify's maxParamLength (100). */
  fastifyDefaults?: boolean;
}

/** An app on one adapter: send a request as written, read the answer as bytes. */
export interface App {
  send(
    method: string,
    target: string,
    init?: { headers?: Record<string, string>; body?: string },
  ): Promise<RawAnswer>;
  close(): Promise<void>;
}

export interface Adapter {
  name: string;
  start(options: AppOptions): Promise<App>;
}

const ok = { ok: true };

function expressAdapter(name: string, lib: typeof express): Adapter {
  return {
    name,
    async start(options) {
      const app = lib();
      // As fgac's examples do: /KEYS/k1 and /keys/k1/ are other routes, as on Fastify and Hono.
      app.set("case sensitive routing", true);
      app.set("strict routing", true);
      app.use(
        ex.fgac({
          authorizer: options.authorizer,
          subject: ex.subjectFromHeaders(),
          consistency: options.consistencyHeader
            ? ex.consistencyFromHeader(options.consistencyHeader)
            : (req) => options.consistency?.(req.header("x-zed-token")),
        }),
      );
      app.get(
        "/keys/:id",
        ex.authorizeParam({ param: "id", resource: apiKey, permission: "read" }),
        (_req, res) => {
          res.json(ok);
        },
      );
      app.post("/body", lib.json({ limit: BODY_LIMIT }), (_req, res) => {
        res.json(ok);
      });
      if (!options.notFoundLast) app.use(ex.fgacNotFoundHandler());
      app.use(ex.fgacErrorHandler());
      if (options.notFoundLast) app.use(ex.fgacNotFoundHandler());
      const server = app.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      const port = (server.address() as AddressInfo).port;
      return {
        send: (method, target, init = {}) => rawRequest(port, { method, target, ...init }),
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    },
  };
}

function fastifyAdapter(name: string, lib: typeof Fastify, v4: boolean): Adapter {
  return {
    name,
    async start(options) {
      const paramLength = options.fastifyDefaults
        ? {}
        : v4
          ? { maxParamLength: 1024 }
          : { routerOptions: { maxParamLength: 1024 } };
      const app = lib({
        bodyLimit: BODY_LIMIT,
        ...paramLength,
        ...(options.fastifyDefaults ? {} : { frameworkErrors: fa.fgacErrorHandler() }),
      });
      await app.register(fa.fgacPlugin, {
        authorizer: options.authorizer,
        subject: fa.subjectFromHeaders(),
        consistency: options.consistencyHeader
          ? fa.consistencyFromHeader(options.consistencyHeader)
          : (request) =>
              options.consistency?.(request.headers["x-zed-token"] as string | undefined),
        warn: () => {},
      });
      app.get(
        "/keys/:id",
        { preHandler: fa.authorizeParam({ param: "id", resource: apiKey, permission: "read" }) },
        async () => ok,
      );
      app.post("/body", async () => ok);
      await app.ready();
      return {
        async send(method, target, init = {}) {
          const res = await app.inject({
            method: method as "GET",
            url: target,
            headers: init.headers ?? {},
            ...(init.body !== undefined ? { payload: init.body } : {}),
          });
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) headers[k] = String(v);
          return { status: res.statusCode, headers, body: res.body };
        },
        close: () => app.close(),
      };
    },
  };
}

const honoAdapter: Adapter = {
  name: "hono",
  async start(options) {
    const app = new Hono<ho.FgacEnv>();
    app.use(
      ho.fgac({
        authorizer: options.authorizer,
        subject: ho.subjectFromHeaders(),
        consistency: options.consistencyHeader
          ? ho.consistencyFromHeader(options.consistencyHeader)
          : (c) => options.consistency?.(c.req.header("x-zed-token")),
      }),
    );
    app.notFound(ho.fgacNotFoundHandler());
    app.onError(ho.fgacErrorHandler());
    app.get(
      "/keys/:id",
      ho.authorizeParam({ param: "id", resource: apiKey, permission: "read" }),
      (c) => c.json(ok),
    );
    app.post(
      "/body",
      bodyLimit({
        maxSize: BODY_LIMIT,
        onError: () => {
          throw new HTTPException(413);
        },
      }),
      validator("json", (value) => value),
      (c) => c.json(ok),
    );
    return {
      async send(method, target, init = {}) {
        const res = await app.request(target, {
          method,
          headers: init.headers ?? {},
          ...(init.body !== undefined ? { body: init.body } : {}),
        });
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => {
          headers[k] = v;
        });
        return { status: res.status, headers, body: await res.text() };
      },
      async close() {},
    };
  },
};

/** Every adapter, on every supported major version of its framework. */
export const ADAPTERS: Adapter[] = [
  expressAdapter("express 5", require("express")),
  expressAdapter("express 4", require("express4")),
  fastifyAdapter("fastify 5", require("fastify"), false),
  fastifyAdapter("fastify 4", require("fastify4"), true),
  honoAdapter,
];
