// Types the adapters give: req.fgac, request.fgac and c.var.fgac, authorizeParam
// permissions checked against the kind at compile time, and handlers that fit each framework.
import express, { type Request } from "express";
import Fastify, { type FastifyRequest } from "fastify";
import { Hono } from "hono";
import { describe, expectTypeOf, it } from "vitest";
import type { FgacEnv } from "../../src/adapters/hono.js";
import "../../src/adapters/express.js";
import "../../src/adapters/fastify.js";
import * as ex from "../../src/adapters/express.js";
import * as fa from "../../src/adapters/fastify.js";
import * as ho from "../../src/adapters/hono.js";
import { apiKey, type Consistency, type RequestAuthorizer } from "../../src/index.js";

describe("per-request typing", () => {
  it("express: req.fgac", () => {
    expectTypeOf<Request["fgac"]>().toEqualTypeOf<RequestAuthorizer | undefined>();
  });
  it("fastify: request.fgac", () => {
    expectTypeOf<FastifyRequest["fgac"]>().toEqualTypeOf<RequestAuthorizer | null>();
  });
  it("hono: c.var.fgac is inferred", () => {
    const app = new Hono<FgacEnv>();
    app.get("/", (c) => {
      expectTypeOf(c.var.fgac).toEqualTypeOf<RequestAuthorizer>();
      return c.text("ok");
    });
  });
  it("authorizeParam permissions are typed by the kind", () => {
    ex.authorizeParam({ param: "id", resource: apiKey, permission: "delete" });
    // @ts-expect-error not a permission of api keys
    ex.authorizeParam({ param: "id", resource: apiKey, permission: "destroy" });
  });
  it("not-found handlers and consistencyFromHeader fit where they are installed", () => {
    express().use(ex.fgacNotFoundHandler());
    Fastify().setNotFoundHandler(fa.fgacNotFoundHandler());
    new Hono().notFound(ho.fgacNotFoundHandler({ body: ({ message }) => ({ message }) }));
    const authorizer = {} as Parameters<typeof ex.fgac>[0]["authorizer"];
    ex.fgac({
      authorizer,
      subject: () => null,
      consistency: ex.consistencyFromHeader("x-zed-token"),
    });
    expectTypeOf(ho.consistencyFromHeader("x-zed-token")).returns.toEqualTypeOf<
      Consistency | undefined
    >();
  });
});
