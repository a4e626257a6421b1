// The denial timing floor, on a fake clock: what each request waits is decided by the floor's
// rule, not measured (no real timing here; the real thing is in bench/timing.ts and the e2e test).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type AuthorizationPort,
  type AuthorizerOptions,
  agent,
  apiKey,
  ConfigurationError,
  createAuthorizer,
  NotFoundError,
  type RequestAuthorizer,
  user,
} from "../../src/index.js";
import { memoryPort, recordingLogger } from "../../src/testing/index.js";
import { withOverrides } from "../support/port-contract.js";

const alice = user("alice");
/** How long the backend takes to decide, per id: hidden objects take longer than absent ones. */
const DELAY: Record<string, number> = { hidden: 10, mine: 6, "hidden-agent": 10 };
const delayOf = (id: string) => DELAY[id] ?? 2;

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setImmediate", "performance", "Date"],
  });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A memory port whose checks take DELAY ms on the fake clock; alice owns "mine". */
async function slowPort(): Promise<AuthorizationPort> {
  const port = memoryPort({ parentRelations: { api_key: "parent" } });
  await port.register({ subject: user("bob"), resource: apiKey("hidden") });
  await port.register({ subject: alice, resource: apiKey("mine") });
  const slow =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>, id: (...a: A) => string) =>
    async (...a: A) => {
      await new Promise((resolve) => setTimeout(resolve, delayOf(id(...a))));
      return f(...a);
    };
  return withOverrides(port, {
    check: slow(
      (r, o) => port.check(r, o),
      (r) => r.resource.id,
    ),
    checkMany: slow(
      (r, o) => port.checkMany(r, o),
      (r) => r[0]?.resource.id ?? "",
    ),
  });
}

/** The call's outcome, and the ms to it on the fake clock (which runs until it settles). */
async function settle(call: () => Promise<unknown>): Promise<{ ms: number; outcome: unknown }> {
  const started = performance.now();
  let settled: { at: number; outcome: unknown } | undefined;
  void call().then(
    (value) => (settled = { at: performance.now(), outcome: value }),
    (error) => (settled = { at: performance.now(), outcome: error }),
  );
  while (settled === undefined) await vi.advanceTimersByTimeAsync(1);
  return { ms: settled.at - started, outcome: settled.outcome };
}

const settleMs = async (call: () => Promise<unknown>) => (await settle(call)).ms;

async function authorizer(options: Partial<AuthorizerOptions> = {}) {
  const logger = recordingLogger();
  const authz = createAuthorizer({ port: await slowPort(), logger, ...options });
  return { authorizer: authz, alice: authz.forSubject(alice), logger };
}

/** Twenty hidden and twenty absent denials: the window's floor becomes the hidden 10 ms. */
async function warm(authz: RequestAuthorizer, permission: "read" | "delete" = "read") {
  for (let i = 0; i < 20; i++) {
    await settleMs(() => authz.checkOrNotFound(apiKey("hidden"), permission));
    await settleMs(() => authz.checkOrNotFound(apiKey("absent"), permission));
  }
}

describe("denial timing floor", () => {
  it("an absent id's 404 ends when a hidden one's does; an allowed request never waits", async () => {
    const { authorizer: az, alice: authz } = await authorizer();
    await warm(authz);
    expect(await settleMs(() => authz.checkOrNotFound(apiKey("absent"), "read"))).toBe(10);
    expect(await settleMs(() => authz.checkOrNotFound(apiKey("hidden"), "read"))).toBe(10);
    // An invalid id asks nothing and still ends at the floor, with the same 404.
    const invalid = { type: "api_key", id: "*" } as ReturnType<typeof apiKey>;
    expect(await settleMs(() => authz.checkOrNotFound(invalid, "read"))).toBe(10);
    const absent = await settle(() => authz.checkOrNotFound(apiKey("absent"), "read"));
    expect(absent.outcome).toBeInstanceOf(NotFoundError);
    // Allowed: its own 6 ms, nothing added; can/check never wait either.
    expect(await settleMs(() => authz.checkOrNotFound(apiKey("mine"), "read"))).toBe(6);
    expect(await settleMs(() => authz.can(apiKey("absent"), "read"))).toBe(2);
    const [stats] = az.timingStats();
    expect(stats).toMatchObject({ resourceType: "api_key", permission: "read", floorMs: 10 });
    expect(stats?.medianAddedMs).toBeGreaterThan(0);
    expect(stats?.maxAddedMs).toBeLessThanOrEqual(10);
  });

  it("keeps one window per kind and permission set (delete asks delete and read)", async () => {
    const { authorizer: az, alice: authz } = await authorizer();
    await warm(authz, "delete");
    expect(await settleMs(() => authz.checkOrNotFound(apiKey("absent"), "delete"))).toBe(10);
    expect(az.timingStats().map((s) => s.permission)).toEqual(["delete+read"]);
  });

  it("startedAt: the floor counts from the caller's lookup, in a window of its own", async () => {
    const { authorizer: az, alice: authz } = await authorizer();
    // A lookup by name takes 3 ms when the row is there (then the hidden check), 1 ms when not.
    const byName = async (found: boolean) => {
      const startedAt = performance.now();
      await new Promise((resolve) => setTimeout(resolve, found ? 3 : 1));
      await authz.checkOrNotFound(apiKey(found ? "hidden" : "absent"), "read", { startedAt });
    };
    for (let i = 0; i < 20; i++) {
      await settleMs(() => byName(true));
      await settleMs(() => byName(false));
    }
    expect(await settleMs(() => byName(false))).toBe(13);
    expect(await settleMs(() => byName(true))).toBe(13);
    expect(az.timingStats().map((s) => [s.permission, s.lookup, s.floorMs])).toEqual([
      ["read", true, 13],
    ]);
    const later = { startedAt: performance.now() + 1000 };
    const refused = await settle(() => authz.checkOrNotFound(apiKey("absent"), "read", later));
    expect(refused.outcome).toBeInstanceOf(ConfigurationError);
  });

  it("never adds more than maxDelayMs, and counts the capped denials", async () => {
    const { authorizer: az, alice: authz } = await authorizer({ timing: { maxDelayMs: 4 } });
    await warm(authz);
    expect(await settleMs(() => authz.checkOrNotFound(apiKey("absent"), "read"))).toBe(4);
    const [stats] = az.timingStats();
    expect(stats?.floorMs).toBe(4);
    expect(stats?.capped).toBeGreaterThan(0);
  });

  it("timing: false adds nothing; bypass and anonymous callers never wait", async () => {
    const { authorizer: off } = await authorizer({ timing: false });
    const authz = off.forSubject(alice);
    await warm(authz);
    expect(await settleMs(() => authz.checkOrNotFound(apiKey("absent"), "read"))).toBe(2);
    expect(off.timingStats()).toEqual([]);
    const { authorizer: on, alice: onAlice } = await authorizer();
    await warm(onAlice);
    const anonymous = on.forSubject(null);
    expect(await settleMs(() => anonymous.checkOrNotFound(apiKey("absent"), "read"))).toBe(0);
    expect(await settleMs(() => on.bypass("job").checkOrNotFound(apiKey("x"), "read"))).toBe(0);
  });

  it("a scoped list of a hidden parent answers [] at the floor of the parent's read", async () => {
    const { authorizer: az, alice: authz } = await authorizer();
    for (let i = 0; i < 20; i++) {
      await settleMs(() => authz.authorizedIds(apiKey, "read", { parent: agent("hidden-agent") }));
      await settleMs(() => authz.authorizedIds(apiKey, "read", { parent: agent("absent") }));
    }
    const list = () => authz.authorizedIds(apiKey, "read", { parent: agent("absent") });
    expect(await settle(list)).toEqual({ ms: 10, outcome: [] });
    expect(az.timingStats().map((s) => `${s.resourceType}#${s.permission}`)).toEqual([
      "agent#read",
    ]);
  });

  it("logs the time added at debug, with the kind and permission, never the subject", async () => {
    const { alice: authz, logger } = await authorizer();
    await warm(authz);
    const entries = logger.entries.filter((e) => e.obj["fgac"] === "timing");
    expect(entries.length).toBe(40);
    expect(entries.every((e) => e.level === "debug")).toBe(true);
    expect(entries[0]?.obj).toMatchObject({ resourceType: "api_key", permission: "read" });
    expect(JSON.stringify(logger.entries)).not.toContain("alice");
  });

  it("rejects timing options out of range when the authorizer is created", () => {
    const port = memoryPort();
    for (const timing of [{ percentile: 0.3 }, { window: 4 }, { maxDelayMs: -1 }, true]) {
      expect(() => createAuthorizer({ port, timing: timing as never })).toThrow(ConfigurationError);
    }
  });
});
