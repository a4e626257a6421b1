// The Hono adapter against the embedded SpiceDB: a trusted internal call bypasses
// authorization, and a per-request consistency reaches every read of its request.
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ho from "../../src/adapters/hono.js";
import {
  type AuthorizationPort,
  type Authorizer,
  apiKey,
  ConfigurationError,
  createAuthorizer,
  user,
} from "../../src/index.js";
import type { EmbeddedSpiceDB } from "../../src/spicedb/index.js";
import { startAgentex } from "../support/agentex-world.js";
import { withOverrides } from "../support/port-contract.js";

let db: EmbeddedSpiceDB;
let authorizer: Authorizer;
beforeAll(async () => {
  db = await startAgentex();
  authorizer = createAuthorizer({ port: db.port });
});
afterAll(() => db.close());

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

/** A port over the world that records the consistency of every check it is asked. */
function recordingConsistency(seen: unknown[]): AuthorizationPort {
  return withOverrides(db.port, {
    checkMany: (reqs) => {
      seen.push(...reqs.map((r) => r.consistency));
      return db.port.checkMany(reqs);
    },
  });
}

/** An app whose requests read at least as fresh as the `x-zed-token` they carry. */
function appWithZedTokens(port: AuthorizationPort): Hono<ho.FgacEnv> {
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
  return app;
}

describe("per-request consistency", () => {
  it("a token the client carries reaches every read of its request; a malformed one is a 400", async () => {
    const seen: unknown[] = [];
    const app = appWithZedTokens(recordingConsistency(seen));
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
    // An empty token cannot be one: the client's error (400, constant body), nothing allowed.
    const bad = await app.request("/keys/k-alice", {
      headers: { "x-user-id": "alice", "x-zed-token": "" },
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe(
      '{"message":"Invalid consistency token.","code":400,"data":null}',
    );
    expect(() =>
      ho.fgac({ authorizer, subject: ho.subjectFromHeaders(), consistency: "fresh" as never }),
    ).toThrow(ConfigurationError);
  });
});
