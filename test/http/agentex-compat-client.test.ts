// httpPort against agentex's real wire (msw): every answer agentex-auth and its contract document
// give is read as agentex means it, or refused; every request it sends is the body agentex's own
// client sends. Fixtures: test/fixtures/agentex/wire.ts (file and commit cited there).
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { httpPort } from "../../src/http/index.js";
import type { AuthorizationPort, Subject } from "../../src/index.js";
import {
  ANSWERS,
  type PortOutcome,
  PRINCIPAL,
  REQUESTS,
  type WireAnswer,
  type WireRequest,
} from "../fixtures/agentex/wire.js";

const BASE = "http://agentex-auth.test";
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** The principal agentex relays for a subject: its authentication's answer, unchanged. */
const principalOf = (subject: Subject) =>
  subject.id === PRINCIPAL.user_id ? PRINCIPAL : { user_id: subject.id };
const port = httpPort({ baseUrl: BASE, timeoutMs: 2000, principal: principalOf });
const alice: Subject = { type: "user", id: PRINCIPAL.user_id };
const resource = { type: "task", id: "t1" };

/** Runs the port operation an answer is for, and says what came of it. */
async function outcome(op: WireAnswer["op"]): Promise<PortOutcome> {
  try {
    switch (op) {
      case "check":
        return { allows: await port.check({ subject: alice, resource, permission: "read" }) };
      case "search": {
        const ids = await port.lookup({ subject: alice, resourceType: "task", permission: "read" });
        return ids === null ? { unscoped: true } : { ids };
      }
      case "register":
        await port.register({ subject: alice, resource, parent: { type: "agent", id: "a1" } });
        return { written: true };
      case "deregister":
        await port.deregister({ subject: alice, resource });
        return { written: true };
      default:
        await port[op]({ subject: alice, resource });
        return { written: true };
    }
  } catch (error) {
    return { fails: (error as Error).name as never };
  }
}

describe("httpPort reads every answer of agentex-auth and its contract document", () => {
  it.each(ANSWERS.map((a) => [a.name, a] as const))("%s", async (_name, answer) => {
    let served = 0;
    server.use(
      http.post(`${BASE}/v1/authz/${answer.op}`, () => {
        served++;
        return HttpResponse.json(answer.body as never, { status: answer.status });
      }),
    );
    expect(await outcome(answer.op)).toEqual(answer.httpPort);
    expect(served).toBe(1);
  });

  it("the fixtures cover every operation, allow and deny, list and unscoped, and the divergences", () => {
    const outcomes = ANSWERS.map((a) => JSON.stringify(a.httpPort));
    for (const expected of [
      { allows: true },
      { allows: false },
      { unscoped: true },
      { written: true },
      { fails: "AuthorizationError" },
      { fails: "UnauthenticatedError" },
      { fails: "AuthorizationUnavailableError" },
    ]) {
      expect(outcomes).toContain(JSON.stringify(expected));
    }
    expect(new Set(ANSWERS.map((a) => a.op))).toEqual(
      new Set(["check", "grant", "revoke", "register", "deregister", "search"]),
    );
    expect(ANSWERS.filter((a) => a.agentexClient).length).toBeGreaterThanOrEqual(2);
    expect(ANSWERS.every((a) => /@[0-9a-f]{7}/.test(a.source))).toBe(true);
  });
});

/** The port call that makes agentex's request, for a request httpPort can express. */
function portCall(request: WireRequest): (p: AuthorizationPort) => Promise<unknown> {
  const body = request.body as {
    resource?: { type: string; selector: string };
    parent?: { type: string; selector: string } | null;
    operation?: string;
    filter_resource?: string;
    filter_operation?: string;
  };
  const res = body.resource && { type: body.resource.type, id: body.resource.selector };
  const target = res as { type: string; id: string };
  switch (request.op) {
    case "check":
      return (p) =>
        p.check({ subject: alice, resource: target, permission: String(body.operation) });
    case "grant":
    case "revoke": // no relation: agentex sends the operation only, as httpPort does
      return (p) => p[request.op as "grant" | "revoke"]({ subject: alice, resource: target });
    case "register": {
      const parent = body.parent && { type: body.parent.type, id: body.parent.selector };
      return (p) =>
        p.register(
          parent
            ? { subject: alice, resource: target, parent }
            : { subject: alice, resource: target },
        );
    }
    case "deregister":
      return (p) => p.deregister({ subject: alice, resource: target });
    case "search":
      return (p) =>
        p.lookup({
          subject: alice,
          resourceType: String(body.filter_resource),
          permission: String(body.filter_operation),
        });
  }
}

/** Requests with a selector no object id can be: `*`, and schedules' `run-schedule::...`. */
const inexpressible = (r: WireRequest) => {
  const selector = (r.body as { resource?: { selector: string } }).resource?.selector;
  return selector !== undefined && !/^[a-zA-Z0-9/_|\-=+]{1,1024}$/.test(selector);
};

describe("httpPort sends the bodies agentex's own client sends", () => {
  const requests = Object.entries(REQUESTS);

  it.each(requests.filter(([, r]) => !inexpressible(r)))("%s", async (_name, request) => {
    const seen: Array<{ op: string; body: unknown; type: string | null }> = [];
    server.use(
      http.post(`${BASE}/v1/authz/:op`, async ({ request: req, params }) => {
        seen.push({
          op: String(params["op"]),
          body: await req.json(),
          type: req.headers.get("content-type"),
        });
        return HttpResponse.json(
          params["op"] === "search" ? { items: [], success: true } : { success: true },
        );
      }),
    );
    await portCall(request)(port);
    expect(seen).toEqual([{ op: request.op, body: request.body, type: "application/json" }]);
  });

  it.each(requests.filter(([, r]) => inexpressible(r)))(
    "%s: a selector that is no object id is refused before any call",
    async (_name, request) => {
      let served = 0;
      server.use(
        http.post(`${BASE}/v1/authz/:op`, () => {
          served++;
          return HttpResponse.json({ success: true });
        }),
      );
      await expect(portCall(request)(port)).rejects.toMatchObject({
        name: "InvalidIdentifierError",
      });
      expect(served).toBe(0);
    },
  );

  it("the expressible requests cover every operation, with and without a parent", () => {
    const expressible = Object.values(REQUESTS).filter((r) => !inexpressible(r));
    expect(new Set(expressible.map((r) => r.op)).size).toBe(6);
    const registers = expressible.filter((r) => r.op === "register");
    expect(registers.some((r) => (r.body as { parent: unknown }).parent === null)).toBe(true);
    expect(registers.some((r) => (r.body as { parent: unknown }).parent !== null)).toBe(true);
  });
});
