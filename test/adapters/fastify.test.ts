// Fastify-only behaviour of fgacPlugin: the warning when the app's maxParamLength is below
// the id length fgac answers (1024), and the not-found handler it installs (or leaves alone).
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import * as fa from "../../src/adapters/fastify.js";
import { createAuthorizer } from "../../src/index.js";
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
