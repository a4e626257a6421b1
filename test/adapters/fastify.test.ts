// Fastify-only behaviour of fgacPlugin: the warning when the app's maxParamLength is below
// the id length fgac answers (1024).
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
