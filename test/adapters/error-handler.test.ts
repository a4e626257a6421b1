// fgacErrorHandler's logging: unexpected library errors are logged by code and message, and
// never with their cause (which may hold a subject).
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import * as ho from "../../src/adapters/hono.js";
import { ConfigurationError } from "../../src/index.js";
import { recordingLogger } from "../../src/testing/index.js";

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
