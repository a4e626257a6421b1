// consistencyFromHeader on every adapter, against the embedded SpiceDB: a hostile token in the
// request's header answers 400 with a constant body (never a 500, never an allow), and a client
// can only ever name a token, never pick fullyConsistent or minimizeLatency.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ex from "../../src/adapters/express.js";
import * as fa from "../../src/adapters/fastify.js";
import * as ho from "../../src/adapters/hono.js";
import {
  type Authorizer,
  apiKey,
  ConfigurationError,
  createAuthorizer,
  user,
} from "../../src/index.js";
import type { EmbeddedSpiceDB } from "../../src/spicedb/index.js";
import { memoryPort } from "../../src/testing/index.js";
import { startAgentex } from "../support/agentex-world.js";
import { ADAPTERS, type App } from "./apps.js";

const INVALID_TOKEN = '{"message":"Invalid consistency token.","code":400,"data":null}';
const HEADER = "x-zed-token";

let db: EmbeddedSpiceDB;
let authorizer: Authorizer;
let realToken: string;
beforeAll(async () => {
  db = await startAgentex();
  authorizer = createAuthorizer({ port: db.port });
  const written = await db.port.grant({
    subject: user("carol"),
    resource: apiKey("k-bob"),
    relation: "viewer",
  });
  realToken = written.token ?? "";
  expect(realToken).not.toBe("");
});
afterAll(() => db.close());

const asAlice = (token?: string) => ({
  headers: { "x-user-id": "alice", ...(token !== undefined ? { [HEADER]: token } : {}) },
});

describe.each(ADAPTERS)("consistencyFromHeader on $name", (adapter) => {
  let app: App;
  beforeAll(async () => {
    app = await adapter.start({ authorizer, consistencyHeader: HEADER });
  });
  afterAll(() => app.close());

  async function expectRefused(token: string) {
    const answer = await app.send("GET", "/keys/k-alice", asAlice(token));
    expect(answer.status, `token ${JSON.stringify(token.slice(0, 40))}`).toBe(400);
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(answer.body).toBe(INVALID_TOKEN);
  }

  it("a real token and no header are read as usual", async () => {
    expect((await app.send("GET", "/keys/k-alice", asAlice(realToken))).status).toBe(200);
    expect((await app.send("GET", "/keys/k-alice", asAlice())).status).toBe(200);
    expect((await app.send("GET", "/keys/k-mallory", asAlice(realToken))).status).toBe(404);
  });

  it("a token that cannot be one (empty, 2 KB, markup) answers 400 with the constant body", async () => {
    for (const token of ["", "A".repeat(2048), "<script>alert(1)</script>"]) {
      await expectRefused(token);
    }
  });

  it("a well-formed token SpiceDB rejects (random base64, truncated real token) answers 400", async () => {
    await expectRefused(randomBytes(32).toString("base64"));
    await expectRefused(realToken.slice(0, Math.floor(realToken.length / 2)));
  });
});

describe("consistencyFromHeader", () => {
  it("a client names a token, never a consistency kind", async () => {
    const port = memoryPort({ allow: [{}] });
    const recording = createAuthorizer({ port });
    const seen = () => [
      ...port.callsOf("check").map((c) => c.req.consistency),
      ...port.callsOf("checkMany").flatMap((c) => c.req.map((r) => r.consistency)),
    ];
    for (const adapter of ADAPTERS) {
      const app = await adapter.start({ authorizer: recording, consistencyHeader: "X-Zed-Token" });
      try {
        for (const value of ["fullyConsistent", "minimizeLatency"]) {
          port.reset().allow({});
          expect((await app.send("GET", "/keys/k1", asAlice(value))).status).toBe(200);
          expect(seen(), adapter.name).toEqual([{ kind: "atLeastAsFresh", token: value }]);
        }
      } finally {
        await app.close();
      }
    }
  });

  it("a name that is not a header name throws when the resolver is created", () => {
    expect(() => ex.consistencyFromHeader("x zed")).toThrow(ConfigurationError);
    expect(() => fa.consistencyFromHeader("" as string)).toThrow(
      'fgac/fastify consistencyFromHeader(): "name" must be a header name',
    );
    expect(() => ho.consistencyFromHeader(42 as never)).toThrow(ConfigurationError);
  });
});
