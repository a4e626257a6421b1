import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { delay, HttpResponse, http, passthrough } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { httpPort } from "../../src/http/index.js";
import {
  AuthorizationError,
  AuthorizationUnavailableError,
  agent,
  apiKey,
  ConfigurationError,
  ConflictError,
  createAuthorizer,
  UnauthenticatedError,
  user,
} from "../../src/index.js";
import { recordingLogger } from "../../src/testing/index.js";

const BASE = "http://authz.test";
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const SECRET = "Bearer s3cr3t-service-token";
const port = httpPort({ baseUrl: BASE, headers: { authorization: SECRET }, timeoutMs: 1000 });
const alice = user("alice");
const checkReq = { subject: alice, resource: apiKey("k1"), permission: "read" };
const lookupReq = { subject: alice, resourceType: "api_key", permission: "read" };

let hits = 0;
function on(op: string, answer: () => Response | Promise<Response>) {
  server.use(
    http.post(`${BASE}/v1/authz/${op}`, () => {
      hits++;
      return answer();
    }),
  );
}
afterEach(() => {
  hits = 0;
});

describe("httpPort: documented answers", () => {
  it("sends the contract's bodies with the service headers", async () => {
    const seen: Array<{ op: string; body: unknown; auth: string | null }> = [];
    server.use(
      http.post(`${BASE}/v1/authz/:op`, async ({ request, params }) => {
        seen.push({
          op: String(params["op"]),
          body: await request.json(),
          auth: request.headers.get("authorization"),
        });
        if (params["op"] === "search") return HttpResponse.json({ items: ["k1"] });
        return HttpResponse.json({}, { status: 200 });
      }),
    );
    await port.check(checkReq);
    await port.grant({ subject: alice, resource: apiKey("k1") });
    await port.revoke({ subject: alice, resource: apiKey("k1"), relation: "viewer" });
    await port.register({ subject: alice, resource: apiKey("k1"), parent: agent("a1") });
    await port.register({ subject: alice, resource: agent("a2") });
    await port.deregister({ resource: apiKey("k1") });
    await port.lookup(lookupReq);
    const principal = { type: "user", id: "alice" };
    const resource = { type: "api_key", selector: "k1" };
    expect(seen).toEqual([
      { op: "check", auth: SECRET, body: { principal, resource, operation: "read" } },
      {
        op: "grant",
        auth: SECRET,
        // No relation given: none is sent, the service applies its own owner relation.
        body: { principal, resource, operation: "create" },
      },
      {
        op: "revoke",
        auth: SECRET,
        body: { principal, resource, relation: "viewer", operation: "delete" },
      },
      {
        op: "register",
        auth: SECRET,
        body: { principal, resource, parent: { type: "agent", selector: "a1" } },
      },
      {
        op: "register",
        auth: SECRET,
        body: { principal, resource: { type: "agent", selector: "a2" }, parent: null },
      },
      { op: "deregister", auth: SECRET, body: { principal: null, resource } },
      {
        op: "search",
        auth: SECRET,
        body: { principal, filter_resource: "api_key", filter_operation: "read" },
      },
    ]);
  });

  it("check: 200 with a JSON object whose allowed, if any, is true allows; 403 denies", async () => {
    on("check", () => HttpResponse.json({ allowed: true }));
    expect(await port.check(checkReq)).toBe(true);
    on("check", () => HttpResponse.json({}));
    expect(await port.check(checkReq)).toBe(true);
    on("check", () => HttpResponse.json({ success: true, metadata: null, allowed: true }));
    expect(await port.check(checkReq)).toBe(true);
    on(
      "check",
      () =>
        new HttpResponse('{"allowed":true}', {
          headers: { "content-type": "application/vnd.authz+json; charset=utf-8" },
        }),
    );
    expect(await port.check(checkReq)).toBe(true);
    on("check", () => HttpResponse.json({ detail: "nope" }, { status: 403 }));
    expect(await port.check(checkReq)).toBe(false);
    on("check", () => new HttpResponse("<html>Forbidden</html>", { status: 403 }));
    expect(await port.check(checkReq)).toBe(false);
  });

  it("check: a 200 without a JSON object never allows (it used to allow on any 200)", async () => {
    for (const answer of [
      () => new HttpResponse(null, { status: 200 }),
      () => new HttpResponse("<html>Sign in</html>", { headers: { "content-type": "text/html" } }),
      () => HttpResponse.json({ allowed: false }),
      () =>
        new HttpResponse('{"allowed":false,"allowed":true}', {
          headers: { "content-type": "application/json" },
        }),
    ]) {
      on("check", answer);
      await expect(port.check(checkReq)).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    }
  });

  it("search: items or unscoped; duplicates dropped", async () => {
    on("search", () => HttpResponse.json({ items: ["k1", "k2", "k1"] }));
    expect(await port.lookup(lookupReq)).toEqual(["k1", "k2"]);
    on("search", () => HttpResponse.json({ items: [] }));
    expect(await port.lookup(lookupReq)).toEqual([]);
    on("search", () => HttpResponse.json({ unscoped: true }));
    expect(await port.lookup(lookupReq)).toBeNull();
  });

  it("writes return the token when the service sends one", async () => {
    on("register", () => HttpResponse.json({ token: "zed-1" }));
    expect(await port.register({ subject: alice, resource: apiKey("k1") })).toEqual({
      token: "zed-1",
    });
    on("grant", () => HttpResponse.json({ success: true, metadata: null }));
    expect(await port.grant({ subject: alice, resource: apiKey("k1") })).toEqual({});
  });

  it("writes: anything but a 200 JSON object fails closed (outcome unknown)", async () => {
    for (const answer of [
      () => new HttpResponse("", { status: 200 }),
      () => new HttpResponse("<html>ok</html>", { headers: { "content-type": "text/html" } }),
      () => HttpResponse.json([]),
      () => HttpResponse.json({ token: 7 }),
      () => HttpResponse.json({ success: false }),
    ]) {
      on("register", answer);
      await expect(
        port.register({ subject: alice, resource: apiKey("k1") }),
      ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    }
  });

  it("writes: 403 is AuthorizationError; 409 is ConflictError on register only", async () => {
    const writes = [
      () => port.grant({ subject: alice, resource: apiKey("k1") }),
      () => port.revoke({ subject: alice, resource: apiKey("k1") }),
      () => port.register({ subject: alice, resource: apiKey("k1") }),
      () => port.deregister({ resource: apiKey("k1") }),
    ];
    server.use(http.post(`${BASE}/v1/authz/:op`, () => HttpResponse.json({}, { status: 403 })));
    for (const write of writes) await expect(write()).rejects.toBeInstanceOf(AuthorizationError);
    server.use(http.post(`${BASE}/v1/authz/:op`, () => HttpResponse.json({}, { status: 409 })));
    const outcomes = await Promise.all(writes.map((write) => write().catch((e) => e)));
    expect(outcomes.map((e) => e.constructor)).toEqual([
      AuthorizationUnavailableError,
      AuthorizationUnavailableError,
      ConflictError,
      AuthorizationUnavailableError,
    ]);
  });

  it("401 is UnauthenticatedError; 409 on register is ConflictError", async () => {
    on("check", () => HttpResponse.json({}, { status: 401 }));
    await expect(port.check(checkReq)).rejects.toBeInstanceOf(UnauthenticatedError);
    on("register", () => HttpResponse.json({}, { status: 409 }));
    await expect(port.register({ subject: alice, resource: apiKey("k1") })).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it("checkMany keeps order and bounds concurrency", async () => {
    let inFlight = 0;
    let peak = 0;
    server.use(
      http.post(`${BASE}/v1/authz/check`, async ({ request }) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        const body = (await request.json()) as { resource: { selector: string } };
        await delay(5);
        inFlight--;
        const allowed = Number(body.resource.selector.slice(1)) % 2 === 0;
        return HttpResponse.json({ allowed }, { status: allowed ? 200 : 403 });
      }),
    );
    const limited = httpPort({ baseUrl: BASE, concurrency: 3 });
    const answers = await limited.checkMany(
      Array.from({ length: 20 }, (_, i) => ({
        subject: alice,
        resource: apiKey(`k${i}`),
        permission: "read",
      })),
    );
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => i % 2 === 0));
    expect(peak).toBeLessThanOrEqual(3);
  });

  it("invalid options throw at creation", () => {
    expect(() => httpPort({ baseUrl: "not a url" })).toThrow(ConfigurationError);
    expect(() => httpPort({ baseUrl: BASE, timeoutMs: 0 })).toThrow(ConfigurationError);
  });
});

describe("httpPort: hostile answers fail closed", () => {
  const statuses = [201, 204, 301, 302, 400, 402, 404, 418, 429, 500, 502, 503, 504];
  const hostile: Array<[string, () => Response | Promise<Response>]> = [
    ...statuses.map((s): [string, () => Response] => [
      `status ${s}`,
      () => HttpResponse.json({ items: ["k1"] }, { status: s }),
    ]),
    ["network error", () => HttpResponse.error()],
    [
      "slower than the timeout",
      async () => {
        await delay(3000); // three times the port's timeout
        return HttpResponse.json({ items: ["k1"] });
      },
    ],
    [
      "a 200 whose body trickles past the timeout",
      () =>
        new HttpResponse(
          new ReadableStream({
            async start(controller) {
              controller.enqueue(new TextEncoder().encode('{"items": ["k1"'));
              await delay(3000); // three times the port's timeout
              controller.enqueue(new TextEncoder().encode("]}"));
              controller.close();
            },
          }),
          { status: 200, headers: { "content-type": "application/json" } },
        ),
    ],
    ["non-JSON body", () => new HttpResponse("<html>ok</html>", { status: 200 })],
    ["truncated JSON", () => new HttpResponse('{"items": ["k1"', { status: 200 })],
    ["empty body", () => new HttpResponse("", { status: 200 })],
    ["items: null", () => HttpResponse.json({ items: null })],
    ['items: "abc"', () => HttpResponse.json({ items: "abc" })],
    ["items: [1]", () => HttpResponse.json({ items: [1] })],
    ['items: ["*"]', () => HttpResponse.json({ items: ["*"] })],
    ["items missing", () => HttpResponse.json({})],
    ["unscoped: 1", () => HttpResponse.json({ unscoped: 1 })],
    ['unscoped: "true"', () => HttpResponse.json({ unscoped: "true" })],
    ["unscoped: false", () => HttpResponse.json({ unscoped: false })],
    ["both items and unscoped", () => HttpResponse.json({ items: ["k1"], unscoped: true })],
    ["a JSON array", () => HttpResponse.json(["k1"])],
    ["null", () => HttpResponse.json(null)],
  ];

  it.each(hostile)("search: %s never widens a list", async (_name, answer) => {
    on("search", answer);
    await expect(port.lookup(lookupReq)).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(hits).toBe(1); // the hostile answer was really served
  });

  // A JSON object without `allowed` ({"items": null}...) is an allowed check: left out here.
  it.each(hostile.filter(([name]) => !/items|unscoped/.test(name)))(
    "check: %s never allows",
    async (_name, answer) => {
      on("check", answer);
      const error = await port.check(checkReq).catch((e) => e);
      expect(error).toBeInstanceOf(AuthorizationUnavailableError);
      expect(hits).toBe(1);
    },
  );

  it.each(statuses.map((s) => [s]))("writes: status %s fails", async (status) => {
    on("register", () => HttpResponse.json({}, { status }));
    await expect(port.register({ subject: alice, resource: apiKey("k1") })).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
    expect(hits).toBe(1);
  });

  it("a read that needs fresher data than the service's default is refused before any call", async () => {
    on("check", () => HttpResponse.json({}));
    on("search", () => HttpResponse.json({ items: ["k1"] }));
    for (const consistency of [
      { kind: "fullyConsistent" } as const,
      { kind: "atLeastAsFresh", token: "zed" } as const,
    ]) {
      await expect(port.check({ ...checkReq, consistency })).rejects.toBeInstanceOf(
        ConfigurationError,
      );
      await expect(port.checkMany([checkReq, { ...checkReq, consistency }])).rejects.toBeInstanceOf(
        ConfigurationError,
      );
      await expect(port.lookup({ ...lookupReq, consistency })).rejects.toBeInstanceOf(
        ConfigurationError,
      );
    }
    expect(hits).toBe(0);
    // minimizeLatency asks for nothing the service does not already do.
    const minimize = { kind: "minimizeLatency" } as const;
    expect(await port.check({ ...checkReq, consistency: minimize })).toBe(true);
    expect(await port.lookup({ ...lookupReq, consistency: minimize })).toEqual(["k1"]);
  });

  it("an answer over maxResponseBytes fails closed, declared or streamed", async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `key-${i}`);
    const small = httpPort({ baseUrl: BASE, timeoutMs: 1000, maxResponseBytes: 200 });
    on("search", () => HttpResponse.json({ items: ids.slice(0, 5) }));
    expect(await small.lookup(lookupReq)).toEqual(ids.slice(0, 5)); // under the cap
    on("search", () => HttpResponse.json({ items: ids }));
    await expect(small.lookup(lookupReq)).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(await port.lookup(lookupReq)).toEqual(ids); // the default cap is far larger
    const body = new TextEncoder().encode(JSON.stringify({ items: ids }));
    on(
      "search",
      () =>
        new HttpResponse(
          new ReadableStream({
            start(controller) {
              for (let i = 0; i < body.length; i += 64) controller.enqueue(body.slice(i, i + 64));
              controller.close();
            },
          }),
          { status: 200, headers: { "content-type": "application/json" } },
        ),
    );
    await expect(small.lookup(lookupReq)).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(() => httpPort({ baseUrl: BASE, maxResponseBytes: 0 })).toThrow(ConfigurationError);
  });

  it("through the authorizer: nothing allowed, nothing upstream leaks, no secret logged", async () => {
    const logger = recordingLogger();
    const authz = createAuthorizer({ port, logger }).forSubject(alice);
    on("check", () =>
      HttpResponse.json({ message: "upstream says: internal detail xyz" }, { status: 500 }),
    );
    const error = await authz.check(apiKey("k1"), "read").catch((e) => e);
    expect(error).toBeInstanceOf(AuthorizationUnavailableError);
    expect(error.message).not.toMatch(/xyz|500|s3cr3t|alice/);
    on("search", () => HttpResponse.json({ items: null }));
    await expect(authz.authorizedIds(apiKey)).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(logger.text()).not.toMatch(/s3cr3t|alice|xyz/);
  });
});

describe("httpPort: property over arbitrary search answers", () => {
  it("a list only for valid ids not marked unscoped; null only for unscoped: true with no items", async () => {
    const { default: fc } = await import("fast-check");
    const ids = fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { maxLength: 4 });
    // agentex-auth's keys, each sometimes absent, sometimes well-formed, sometimes anything.
    const maybe = <T>(good: import("fast-check").Arbitrary<T>) => fc.oneof(good, fc.jsonValue());
    const answer = fc.oneof(
      fc.jsonValue(),
      fc.record({ items: fc.jsonValue() }),
      fc.record({ unscoped: fc.jsonValue() }),
      fc.record({ items: fc.array(fc.string({ maxLength: 8 })) }),
      fc.record(
        {
          items: maybe(ids),
          unscoped: maybe(fc.boolean()),
          success: maybe(fc.constant(true)),
          metadata: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(answer, async (body) => {
        on("search", () => HttpResponse.json(body as never));
        const result = await port.lookup(lookupReq).catch((e) => e);
        const b = body as Record<string, unknown> | null;
        const isObject = typeof b === "object" && b !== null && !Array.isArray(b);
        const o = (isObject ? b : {}) as Record<string, unknown>;
        const succeeded = !("success" in o) || o["success"] === true;
        const validIds = (v: unknown): v is string[] =>
          Array.isArray(v) &&
          v.every((id) => typeof id === "string" && /^[a-zA-Z0-9/_|\-=+]{1,1024}$/.test(id));
        const noItems = !("items" in o) || (Array.isArray(o["items"]) && o["items"].length === 0);
        const unscoped = isObject && succeeded && o["unscoped"] === true && noItems;
        const listed =
          isObject &&
          succeeded &&
          (!("unscoped" in o) || o["unscoped"] === false) &&
          validIds(o["items"]);
        // Both ways: what the rule accepts is accepted, and nothing else.
        if (unscoped) expect(result).toBeNull();
        else if (listed) expect(result).toEqual([...new Set(o["items"] as string[])]);
        else expect(result).toBeInstanceOf(AuthorizationUnavailableError);
      }),
      { numRuns: 500 },
    );
  });
});

describe("httpPort: cancellation and transient failures", () => {
  const writeOps = {
    check: () => port.check(checkReq, { signal: current }),
    checkMany: () => port.checkMany([checkReq, checkReq], { signal: current }),
    lookup: () => port.lookup(lookupReq, { signal: current }),
    grant: () => port.grant({ subject: alice, resource: apiKey("k1") }, { signal: current }),
    revoke: () => port.revoke({ subject: alice, resource: apiKey("k1") }, { signal: current }),
    register: () => port.register({ subject: alice, resource: apiKey("k1") }, { signal: current }),
    deregister: () => port.deregister({ resource: apiKey("k1") }, { signal: current }),
  };
  let current = new AbortController().signal;

  it.each(Object.keys(writeOps))("%s: the caller's signal aborts the fetch", async (op) => {
    const seen: AbortSignal[] = [];
    server.use(
      http.post(`${BASE}/v1/authz/:op`, async ({ request }) => {
        seen.push(request.signal);
        await delay(5000); // far past the port's own timeout: only an abort ends it early
        return HttpResponse.json({});
      }),
    );
    const controller = new AbortController();
    current = controller.signal;
    const pending = writeOps[op as keyof typeof writeOps]().catch((e) => e);
    await delay(20);
    const reason = new Error("the caller gave up");
    controller.abort(reason);
    const error = await pending;
    expect(error).toBeInstanceOf(AuthorizationUnavailableError);
    expect(error.cause).toBe(reason); // ended by the caller, not by the port's timeout
    expect(error.transient).toBe(false);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.aborted)).toBe(true); // the request itself was aborted
  });

  it("an already aborted signal sends nothing", async () => {
    on("check", () => HttpResponse.json({}));
    const controller = new AbortController();
    controller.abort();
    await expect(port.check(checkReq, { signal: controller.signal })).rejects.toBeInstanceOf(
      AuthorizationUnavailableError,
    );
    expect(hits).toBe(0);
  });

  it.each<[string, boolean, () => Response | Promise<Response>]>([
    ["a network error", true, () => HttpResponse.error()],
    ["502", true, () => HttpResponse.json({}, { status: 502 })],
    ["503", true, () => HttpResponse.json({}, { status: 503 })],
    ["504", true, () => HttpResponse.json({}, { status: 504 })],
    ["500", false, () => HttpResponse.json({}, { status: 500 })],
    ["429", false, () => HttpResponse.json({}, { status: 429 })],
    [
      "a redirect",
      false,
      () => new HttpResponse(null, { status: 302, headers: { location: "/" } }),
    ],
    [
      "an HTML 200",
      false,
      () => new HttpResponse("<html>", { headers: { "content-type": "text/html" } }),
    ],
    [
      "a timeout",
      false,
      async () => {
        await delay(3000);
        return HttpResponse.json({});
      },
    ],
  ])("%s: transient %s", async (_name, transient, answer) => {
    on("check", answer);
    const error = await port.check(checkReq).catch((e) => e);
    expect(error).toBeInstanceOf(AuthorizationUnavailableError);
    expect(error.transient).toBe(transient);
  });

  it("a refused connection (Node's own fetch, no mock) is transient", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const address = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    server.use(http.all(/^http:\/\/127\.0\.0\.1:\d+\//, () => passthrough()));
    const refused = httpPort({ baseUrl: `http://127.0.0.1:${address.port}`, timeoutMs: 1000 });
    const error = await refused.check(checkReq).catch((e) => e);
    expect(error).toBeInstanceOf(AuthorizationUnavailableError);
    expect(error.transient).toBe(true);
  });

  it("checkMany stops at the first failure instead of running the rest", async () => {
    let served = 0;
    server.use(
      http.post(`${BASE}/v1/authz/check`, () => {
        served++;
        return HttpResponse.json({}, { status: 500 });
      }),
    );
    const serial = httpPort({ baseUrl: BASE, concurrency: 1 });
    const many = Array.from({ length: 10 }, () => checkReq);
    await expect(serial.checkMany(many)).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(served).toBe(1);
  });

  it("grant and revoke without a relation send none; with one, send it", async () => {
    const bodies: unknown[] = [];
    server.use(
      http.post(`${BASE}/v1/authz/:op`, async ({ request }) => {
        bodies.push(await request.json());
        return HttpResponse.json({});
      }),
    );
    await port.grant({ subject: alice, resource: apiKey("k1") });
    await port.revoke({ subject: alice, resource: apiKey("k1") });
    await port.grant({ subject: alice, resource: apiKey("k1"), relation: "viewer" });
    expect(bodies.map((b) => Object.hasOwn(b as object, "relation"))).toEqual([false, false, true]);
  });
});
