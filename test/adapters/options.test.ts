// The option checks of every adapter's factories: bad options throw a ConfigurationError when
// the middleware or guard is created, naming the factory and the option.
import { describe, expect, it } from "vitest";
import * as ex from "../../src/adapters/express.js";
import * as fa from "../../src/adapters/fastify.js";
import * as ho from "../../src/adapters/hono.js";
import { apiKey, ConfigurationError, createAuthorizer } from "../../src/index.js";
import { memoryPort } from "../../src/testing/index.js";

const authorizer = createAuthorizer({ port: memoryPort() });

describe("adapter options", () => {
  it("bad options throw when the middleware is created", () => {
    expect(() => ex.fgac({} as never)).toThrow(ConfigurationError);
    expect(() => ho.fgac({ authorizer, subject: "x" as never })).toThrow(ConfigurationError);
    expect(() => ex.authorizeParam({ param: "", resource: apiKey, permission: "read" })).toThrow(
      ConfigurationError,
    );
    // The message names the factory and every offending option.
    expect(() => ex.fgac({} as never)).toThrow(
      'fgac/express fgac(): "authorizer" must come from createAuthorizer(); "subject" must be a function',
    );
    expect(() => ho.fgac({ authorizer, subject: "x" as never })).toThrow(
      'fgac/hono fgac(): "subject" must be a function',
    );
    expect(() =>
      fa.authorizeParam({ param: "id", resource: {}, permission: "read" } as never),
    ).toThrow('fgac/fastify authorizeParam(): "resource" must be a kind from defineResource()');
  });
});
