// Fastify-only behaviour of fgacPlugin: the warning when the app's maxParamLength is below
// the id length fgac answers (1024), and the not-found handler it installs (or leaves alone).
import { createRequire } from "node:module";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import * as fa from "../../src/adapters/fastify.js";
import { agent, apiKey, createAuthorizer, user } from "../../src/index.js";
import { memoryPort } from "../../src/testing/index.js";

const authorizer = createAuthorizer({ port: memoryPort() });

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

describe("fastify not-found handling", () => {
  it("the plugin installs fgac's 404; notFound: false keeps the app's own", async () => {
    const installed = Fastify();
    await installed.register(fa.fgacPlugin, { authorizer, subject: () => null, warn: () => {} });
    const ours = await installed.inject({ method: "PATCH", url: "/x<script>" });
    expect(ours.statusCode).toBe(404);
    expect(ours.body).toBe('{"message":"Not found.","code":404,"data":null}');
    expect(ours.body).not.toContain("script");

    const own = Fastify();
    await own.register(fa.fgacPlugin, {
      authorizer,
      subject: () => null,
      warn: () => {},
      notFound: false,
    });
    own.setNotFoundHandler((_request, reply) => reply.code(404).send("custom"));
    expect((await own.inject({ url: "/x" })).body).toBe("custom");
  });

  it("fgacNotFoundHandler serves an encapsulated context with its own prefix", async () => {
    const app = Fastify();
    await app.register(fa.fgacPlugin, { authorizer, subject: () => null, warn: () => {} });
    await app.register(
      async (api) => {
        api.setNotFoundHandler(
          fa.fgacNotFoundHandler({ body: ({ message }) => ({ error: message }) }),
        );
        api.get("/ping", async () => "pong");
      },
      { prefix: "/v2" },
    );
    expect((await app.inject({ url: "/v2/ping" })).body).toBe("pong");
    const nested = await app.inject({ url: "/v2/nope<b>" });
    expect(nested.statusCode).toBe(404);
    expect(nested.body).toBe('{"error":"Not found."}');
    expect((await app.inject({ url: "/nope" })).body).toBe(
      '{"message":"Not found.","code":404,"data":null}',
    );
  });
});

// fgacPlugin carries fastify-plugin's marks itself (no fastify-plugin install): registered once,
// it reaches routes in sibling and nested encapsulated contexts, on Fastify 4 and 5.
const require = createRequire(import.meta.url);
describe.each([
  ["fastify 5", Fastify],
  ["fastify 4", require("fastify4") as typeof Fastify],
])("%s: fgacPlugin is not encapsulated", (_name, lib) => {
  it("decorates, guards and answers errors in other contexts; is named fgac", async () => {
    const port = memoryPort();
    const shared = createAuthorizer({ port });
    await shared.forSubject(user("alice")).register(apiKey("k1"), { parent: agent("a1") });
    const app = lib({ logger: false });
    await app.register(fa.fgacPlugin, {
      authorizer: shared,
      subject: fa.subjectFromHeaders(),
      warn: () => {},
    });
    await app.register(
      async (api) => {
        api.get(
          "/keys/:id",
          { preHandler: fa.authorizeParam({ param: "id", resource: apiKey, permission: "read" }) },
          async (request) => ({
            id: (request.params as { id: string }).id,
            bound: fa.getFgac(request) !== null,
          }),
        );
      },
      { prefix: "/v1" },
    );
    // A plugin that declares fgac as a dependency, as fastify-plugin users do.
    const dependent = Object.assign(async () => {}, {
      [Symbol.for("plugin-meta")]: { name: "needs-fgac", dependencies: ["fgac"] },
    });
    await app.register(dependent);
    await app.ready();
    expect(app.printPlugins()).toContain("fgac");

    const ok = await app.inject({ url: "/v1/keys/k1", headers: { "x-user-id": "alice" } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ id: "k1", bound: true });
    const hidden = await app.inject({ url: "/v1/keys/k1", headers: { "x-user-id": "bob" } });
    const absent = await app.inject({ url: "/v1/keys/k2", headers: { "x-user-id": "bob" } });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.body).toBe(absent.body);
    expect(hidden.body).toContain("not found");
  });
});
