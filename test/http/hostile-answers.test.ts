// httpPort against a service that answers as an attacker (or a misconfigured proxy) would:
// every answer of the matrix, over every operation, fails closed and reaches no Location.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { delay, HttpResponse, http, passthrough } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { httpPort } from "../../src/http/index.js";
import {
  type AuthorizationPort,
  AuthorizationUnavailableError,
  agent,
  apiKey,
  user,
} from "../../src/index.js";

const BASE = "http://authz.test";
const OTHER = "http://elsewhere.test";
const CREDENTIALS = { authorization: "Bearer s3cr3t-token", "x-api-key": "s3cr3t-key" };
const TIMEOUT_MS = 300;
const MAX_BYTES = 16 * 1024;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

type Op = "check" | "checkMany" | "lookup" | "grant" | "revoke" | "register" | "deregister";
type WireOp = "check" | "search" | "grant" | "revoke" | "register" | "deregister";
const OPS: readonly Op[] = [
  "check",
  "checkMany",
  "lookup",
  "grant",
  "revoke",
  "register",
  "deregister",
];
const CHECKS: readonly Op[] = ["check", "checkMany"];
/** What a well-behaved service answers to each operation: the hostile answers wrap it. */
const GOOD: Record<WireOp, unknown> = {
  check: { allowed: true },
  search: { items: ["k1", "k2"] },
  grant: { token: "zed-1" },
  revoke: { token: "zed-1" },
  register: { token: "zed-1" },
  deregister: { token: "zed-1" },
};

const alice = user("alice");
const checkReq = { subject: alice, resource: apiKey("k1"), permission: "read" };
function run(port: AuthorizationPort, op: Op): Promise<unknown> {
  switch (op) {
    case "check":
      return port.check(checkReq);
    case "checkMany":
      return port.checkMany([checkReq, { ...checkReq, resource: apiKey("k2") }]);
    case "lookup":
      return port.lookup({ subject: alice, resourceType: "api_key", permission: "read" });
    case "grant":
      return port.grant({ subject: alice, resource: apiKey("k1"), relation: "viewer" });
    case "revoke":
      return port.revoke({ subject: alice, resource: apiKey("k1") });
    case "register":
      return port.register({ subject: alice, resource: apiKey("k1"), parent: agent("a1") });
    case "deregister":
      return port.deregister({ resource: apiKey("k1") });
  }
}

/** Every request that reached a redirect target, same origin or another one. */
const landed: Array<{ url: string; method: string; headers: Record<string, string> }> = [];
/** Every request the other origin ever received in this file, and how many carried a credential. */
const otherOrigin = { requests: 0, withCredentials: 0 };
/** Requests the service itself received. */
let served = 0;
function landingPage(origin: string) {
  return http.all(`${origin}/landing/:kind/:op`, ({ request, params }) => {
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    landed.push({ url: request.url, method: request.method, headers });
    if (origin === OTHER) {
      otherOrigin.requests++;
      if (Object.keys(CREDENTIALS).some((name) => request.headers.has(name))) {
        otherOrigin.withCredentials++;
      }
    }
    if (params["kind"] === "html") {
      return new HttpResponse("<html>Welcome</html>", { headers: { "content-type": "text/html" } });
    }
    return HttpResponse.json(GOOD[params["op"] as WireOp] as never);
  });
}

type Answer = (op: WireOp) => Response | Promise<Response>;
interface Hostile {
  name: string;
  answer: Answer;
  /** Operations the answer is hostile to (default: all); `{"allowed": false}` is a fine write answer. */
  only?: readonly Op[];
  /** Fails closed by the deadline; every other answer must be refused before it. */
  slow?: true;
}

const raw =
  (status: number, body: string | null, contentType?: string): Answer =>
  () =>
    new HttpResponse(body, {
      status,
      headers: contentType ? { "content-type": contentType } : {},
    });
const goodWith =
  (status: number, contentType = "application/json"): Answer =>
  (op) =>
    new HttpResponse(JSON.stringify(GOOD[op]), {
      status,
      headers: { "content-type": contentType },
    });
const redirect =
  (status: number, origin: string | "", kind: "json" | "html"): Answer =>
  (op) =>
    new HttpResponse(null, { status, headers: { location: `${origin}/landing/${kind}/${op}` } });
const stream = (chunks: (op: WireOp) => AsyncIterable<string>): Answer => {
  return (op) =>
    new HttpResponse(
      new ReadableStream<Uint8Array>({
        async start(controller) {
          try {
            for await (const chunk of chunks(op)) {
              controller.enqueue(new TextEncoder().encode(chunk));
            }
            controller.close();
          } catch {
            // the reader went away
          }
        },
      }),
      { status: 200, headers: { "content-type": "application/json" } },
    );
};

/** The good body after a first copy of its key (spelled by `spell`) holding a denying value. */
function withDecoy(op: WireOp, spell: (key: string) => string): string {
  const [key, decoy] =
    op === "check" ? ["allowed", false] : op === "search" ? ["items", []] : ["token", ""];
  return `{"${spell(key)}":${JSON.stringify(decoy)},${JSON.stringify(GOOD[op]).slice(1)}`;
}

const REDIRECTS: Hostile[] = [301, 302, 303, 307, 308].flatMap((status) =>
  (
    [
      ["same origin", BASE],
      ["another origin", OTHER],
    ] as const
  ).flatMap(([where, origin]) =>
    (["json", "html"] as const).map((kind) => ({
      name: `${status} to a ${kind === "json" ? "200 JSON allow" : "200 HTML"} page on ${where}`,
      answer: redirect(status, origin, kind),
    })),
  ),
);

const HOSTILE: Hostile[] = [
  ...REDIRECTS,
  { name: "302 with a relative Location", answer: redirect(302, "", "json") },
  { name: "302 without a Location", answer: raw(302, null) },
  { name: "300 multiple choices", answer: goodWith(300) },
  { name: "304 not modified", answer: raw(304, null) },
  {
    name: "200 HTML login page",
    answer: raw(200, "<html><form>Sign in</form></html>", "text/html"),
  },
  { name: "200 empty body, JSON content type", answer: raw(200, "", "application/json") },
  { name: "200 empty body, no content type", answer: raw(200, null) },
  { name: "200 truncated JSON", answer: raw(200, '{"allowed": tr', "application/json") },
  { name: "200 JSON array", answer: raw(200, "[]", "application/json") },
  { name: "200 array of the good body", answer: (op) => HttpResponse.json([GOOD[op]] as never) },
  { name: "200 JSON null", answer: raw(200, "null", "application/json") },
  { name: '200 JSON string "true"', answer: raw(200, '"true"', "application/json") },
  { name: "200 JSON true", answer: raw(200, "true", "application/json") },
  { name: "200 JSON number", answer: raw(200, "1", "application/json") },
  {
    name: '200 {"success": false}',
    answer: (op) => HttpResponse.json({ ...(GOOD[op] as object), success: false }),
  },
  { name: "200 good JSON as text/html", answer: goodWith(200, "text/html") },
  { name: "200 good JSON as text/plain", answer: goodWith(200, "text/plain") },
  {
    name: "200 good JSON without a content type",
    answer: (op) => new HttpResponse(JSON.stringify(GOOD[op]), { status: 200, headers: {} }),
  },
  { name: "200 HTML as application/json", answer: raw(200, "<html>ok</html>", "application/json") },
  {
    name: "200 duplicate key, the last one the good one",
    answer: (op) =>
      raw(
        200,
        withDecoy(op, (key) => key),
        "application/json",
      )(op),
  },
  {
    name: "200 duplicate key hidden by an escape",
    // "allow\u0065d" decodes to "allowed": compared as text, the keys differ.
    answer: (op) =>
      raw(
        200,
        withDecoy(
          op,
          (k) => `${k[0]}\\u${k.charCodeAt(1).toString(16).padStart(4, "0")}${k.slice(2)}`,
        ),
        "application/json",
      )(op),
  },
  {
    name: "200 huge (over maxResponseBytes, declared)",
    answer: (op) => HttpResponse.json({ ...(GOOD[op] as object), pad: "x".repeat(MAX_BYTES * 2) }),
  },
  {
    name: "200 endless body",
    answer: stream(async function* (op) {
      yield JSON.stringify(GOOD[op]).slice(0, -1);
      yield ',"pad":"';
      for (;;) {
        yield "x".repeat(4096);
        await delay(1);
      }
    }),
  },
  {
    name: "200 whose body trickles past the deadline",
    slow: true,
    answer: stream(async function* (op) {
      yield JSON.stringify(GOOD[op]).slice(0, 5);
      await delay(TIMEOUT_MS * 3);
      yield JSON.stringify(GOOD[op]).slice(5);
    }),
  },
  {
    name: "headers slower than the deadline",
    slow: true,
    answer: async (op) => {
      await delay(TIMEOUT_MS * 3);
      return HttpResponse.json(GOOD[op] as never);
    },
  },
  { name: "network error", answer: () => HttpResponse.error() },
  ...[201, 202, 203, 204, 205, 206].map((status) => ({
    name: `${status} with the good body`,
    answer: status === 204 || status === 205 ? raw(status, null) : goodWith(status),
  })),
  ...[400, 402, 404, 405, 410, 418, 422, 429, 500, 501, 502, 503, 504].map((status) => ({
    name: `${status} with the good body`,
    answer: goodWith(status),
  })),
  // Check answers whose value is anything but exactly true.
  ...[
    ['{"allowed": false}', '{"allowed":false}'],
    ['{"allowed": "true"}', '{"allowed":"true"}'],
    ['{"allowed": 1}', '{"allowed":1}'],
    ['{"allowed": null}', '{"allowed":null}'],
    ['{"allowed": [true]}', '{"allowed":[true]}'],
    ['{"allowed": {}}', '{"allowed":{}}'],
    ['{"allowed": true, "allowed": false}', '{"allowed":true,"allowed":false}'],
    ['{"allowed": false, "allowed": true}', '{"allowed":false,"allowed":true}'],
    ['{"allowed": true, "success": "yes"}', '{"allowed":true,"success":"yes"}'],
  ].map(([name, body]) => ({
    name: `200 ${name}`,
    answer: raw(200, body as string, "application/json"),
    only: CHECKS,
  })),
];

const port = httpPort({
  baseUrl: BASE,
  headers: CREDENTIALS,
  timeoutMs: TIMEOUT_MS,
  maxResponseBytes: MAX_BYTES,
});
const cases = HOSTILE.flatMap((h) =>
  OPS.filter((op) => !h.only || h.only.includes(op)).map((op) => [op, h.name, h] as const),
);

describe("httpPort: the hostile-answer matrix", () => {
  beforeAll(() => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(40);
  });
  afterEach(() => {
    server.resetHandlers();
    landed.length = 0;
    served = 0;
  });

  it.each(cases)("%s: %s fails closed", async (op, _name, hostile) => {
    server.use(
      landingPage(BASE),
      landingPage(OTHER),
      http.post(`${BASE}/v1/authz/:op`, ({ params }) => {
        served++;
        return hostile.answer(params["op"] as WireOp);
      }),
    );
    const outcome = await run(port, op).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    expect(outcome).toEqual({ error: expect.any(AuthorizationUnavailableError) });
    // Refused for what it is, not rescued by the deadline (which a loaded machine may hit first).
    const cause = (outcome as { error?: { cause?: { name?: unknown } } }).error?.cause;
    if (!hostile.slow) expect(cause?.name).not.toBe("TimeoutError");
    expect(served).toBeGreaterThanOrEqual(1); // the hostile answer was really served
    expect(landed).toEqual([]); // nothing went to any Location
  });

  it("after the whole matrix, the other origin has received nothing, credentials least of all", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40 * 7);
    expect(otherOrigin).toEqual({ requests: 0, withCredentials: 0 });
  });
});

describe("httpPort: a fetch that follows redirects anyway", () => {
  afterEach(() => {
    server.resetHandlers();
    landed.length = 0;
  });

  it.each(OPS)("%s: a redirected answer fails closed even when fetch followed it", async (op) => {
    // A custom fetch that overrides `redirect: "manual"`: the answer is marked redirected.
    const following = httpPort({
      baseUrl: BASE,
      timeoutMs: TIMEOUT_MS,
      fetch: (input, init) => fetch(input, { ...init, redirect: "follow" }),
    });
    server.use(
      landingPage(BASE),
      http.post(`${BASE}/v1/authz/:op`, ({ params }) =>
        redirect(303, BASE, "json")(params["op"] as WireOp),
      ),
    );
    await expect(run(following, op)).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(landed).toHaveLength(op === "checkMany" ? 2 : 1); // the fetch did follow
  });

  it.each(OPS)("%s: an opaque redirect (a browser's manual mode) fails closed", async (op) => {
    // What a browser's fetch answers under `redirect: "manual"`: status 0, type "opaqueredirect".
    const browserLike = httpPort({
      baseUrl: BASE,
      timeoutMs: TIMEOUT_MS,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (response.status < 300 || response.status > 399) return response;
        const opaque = new Response(null, { status: 200 });
        Object.defineProperties(opaque, {
          type: { value: "opaqueredirect" },
          status: { value: 0 },
          ok: { value: false },
        });
        return opaque;
      },
    });
    server.use(
      landingPage(BASE),
      http.post(`${BASE}/v1/authz/:op`, ({ params }) =>
        redirect(302, BASE, "json")(params["op"] as WireOp),
      ),
    );
    await expect(run(browserLike, op)).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(landed).toEqual([]);
  });
});

/** A loopback server answering every request with `answer`; records what it received. */
async function loopback(
  answer: (url: string) => { status: number; headers: Record<string, string>; body: string },
) {
  const received: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = [];
  const srv: Server = createServer((req, res) => {
    received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.resume();
    const { status, headers, body } = answer(req.url ?? "");
    res.writeHead(status, headers).end(body);
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

describe("httpPort: redirects over real sockets (Node's own fetch, no mock)", () => {
  // msw cannot replay a POST body on 307/308, so it fails those for its own reasons; Node's
  // fetch does replay it, with every custom header, to the other origin.
  let target: Awaited<ReturnType<typeof loopback>>;
  let status = 307;
  let service: Awaited<ReturnType<typeof loopback>>;
  beforeAll(async () => {
    server.use(http.all(/^http:\/\/127\.0\.0\.1:\d+\//, () => passthrough()));
    target = await loopback(() => ({
      status: 200,
      headers: { "content-type": "application/json" },
      body: '{"allowed":true,"items":["k1"],"token":"zed-1"}',
    }));
    service = await loopback((url) => ({
      status,
      headers: { location: `${target.url}${url}` },
      body: "",
    }));
  });
  afterAll(async () => {
    server.resetHandlers();
    await target.close();
    await service.close();
  });

  it.each([301, 302, 303, 307, 308].flatMap((s) => OPS.map((op) => [s, op] as const)))(
    "%s to another origin: %s fails closed and sends nothing there",
    async (s, op) => {
      status = s;
      target.received.length = 0;
      const real = httpPort({ baseUrl: service.url, headers: CREDENTIALS, timeoutMs: 2000 });
      await expect(run(real, op)).rejects.toBeInstanceOf(AuthorizationUnavailableError);
      expect(target.received).toEqual([]);
    },
  );
});
