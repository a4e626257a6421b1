// Coalesced checks on the embedded SpiceDB: one bulk call per turn and requirement, shared
// answers for identical questions, per-item outcomes, whole subjects, revocations, cancellation.
import type { v1 } from "@authzed/authzed-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AuthorizationUnavailableError,
  agent,
  apiKey,
  type CheckRequest,
  InvalidIdentifierError,
  type Subject,
  user,
} from "../../src/index.js";
import { SpiceDBCalls } from "../../src/spicedb/calls.js";
import { CheckCoalescer } from "../../src/spicedb/coalesce.js";
import {
  agentexPortOptions,
  type EmbeddedSpiceDB,
  type SpiceDBClient,
  type SpiceDBPortOptions,
  spicedbPort,
} from "../../src/spicedb/index.js";
import { Mapping } from "../../src/spicedb/mapping.js";
import { startAgentex } from "../support/agentex-world.js";
import { uid } from "../support/port-contract.js";
import { FRESH_READS, withPromises } from "../support/spicedb-clients.js";

/** What reached SpiceDB: each bulk call's questions (`type:id#perm@subject`) and requirement. */
interface Sent {
  bulk: Array<{ questions: string[]; consistency: string }>;
  single: string[];
}

function question(item: v1.CheckBulkPermissionsRequestItem | v1.CheckPermissionRequest): string {
  const s = item.subject;
  const relation = s?.optionalRelation ? `#${s.optionalRelation}` : "";
  return `${item.resource?.objectType}:${item.resource?.objectId}#${item.permission}@${s?.object?.objectType}:${s?.object?.objectId}${relation}`;
}

function requirement(c: v1.Consistency | undefined): string {
  const r = c?.requirement;
  return r?.oneofKind === "atLeastAsFresh" ? `token:${r.atLeastAsFresh.token}` : `${r?.oneofKind}`;
}

/** The real client, recording every check it is asked; `tamper` may rewrite bulk answers. */
function recording(
  real: SpiceDBClient,
  tamper: (pairs: v1.CheckBulkPermissionsPair[]) => v1.CheckBulkPermissionsPair[] = (p) => p,
): { client: SpiceDBClient; sent: Sent } {
  const sent: Sent = { bulk: [], single: [] };
  const client = withPromises(real, {
    checkBulkPermissions: async (r) => {
      sent.bulk.push({ questions: r.items.map(question), consistency: requirement(r.consistency) });
      const answer = await real.promises.checkBulkPermissions(r);
      return { ...answer, pairs: tamper(answer.pairs) };
    },
    checkPermission: (r) => {
      sent.single.push(question(r));
      return real.promises.checkPermission(r);
    },
  });
  return { client, sent };
}

const read = (subject: Subject, id: string, extra: Partial<CheckRequest> = {}): CheckRequest => ({
  subject,
  resource: agent(id),
  permission: "read",
  ...extra,
});

/** Settles every promise; each as its value or its error's name. */
function outcomes(promises: Array<Promise<boolean>>): Promise<Array<boolean | string>> {
  return Promise.all(promises.map((p) => p.catch((e: Error) => e.name)));
}

describe("coalesced checks (spicedbPort on the embedded SpiceDB)", () => {
  let db: EmbeddedSpiceDB;
  beforeAll(async () => {
    db = await startAgentex([
      "agent:a9#tenant@tenant:t1",
      "agent:a9#viewer@tenant:t1#member",
      "agent:a9#editor@user:t1",
      "tenant:t1#member@user:dora",
    ]);
  });
  afterAll(() => db.close());

  /** A port over a recording client; it reads fully consistent unless told `readYourWrites`. */
  const port = (
    options: SpiceDBPortOptions = {},
    tamper?: Parameters<typeof recording>[1],
    readYourWrites = false,
  ) => {
    const { client, sent } = recording(db.client, tamper);
    const base = readYourWrites ? agentexPortOptions : FRESH_READS;
    return { port: spicedbPort({ client }, { ...base, ...options }), sent };
  };

  it("checks of one turn from different callers go out as one bulk call", async () => {
    const { port: p, sent } = port();
    const answers = await Promise.all([
      p.check(read(user("alice"), "a1")),
      p.check(read(user("bob"), "a1")),
      p.check(read(user("carol"), "a1")),
      p.check(read(user("mallory"), "a1")),
      p.check({ subject: user("bob"), resource: apiKey("k-bob"), permission: "read" }),
    ]);
    expect(answers).toEqual([true, true, false, false, true]);
    expect(sent.single).toEqual([]);
    expect(sent.bulk).toHaveLength(1);
    expect(sent.bulk[0]?.questions).toHaveLength(5);
    // A lone check is sent as the CheckPermission it would have been.
    expect(await p.check(read(user("alice"), "a1"))).toBe(true);
    expect(sent.single).toEqual(["agent:a1#read@user:alice"]);
    expect(sent.bulk).toHaveLength(1);
  });

  it("identical questions in one batch share one answer", async () => {
    const { port: p, sent } = port();
    const same = Array.from({ length: 6 }, () => p.check(read(user("alice"), "a1")));
    const other = p.check(read(user("mallory"), "a1"));
    expect(await Promise.all([...same, other])).toEqual([...same.map(() => true), false]);
    expect(sent.bulk.map((b) => b.questions)).toEqual([
      ["agent:a1#read@user:alice", "agent:a1#read@user:mallory"],
    ]);
  });

  it("subjects that differ only in type or relation are different questions", async () => {
    const { port: p, sent } = port();
    const viewer = (subject: Subject) =>
      p.check({ subject, resource: agent("a9"), permission: "viewer" });
    const answers = await Promise.all([
      viewer({ type: "tenant", id: "t1", relation: "member" }),
      viewer({ type: "tenant", id: "t1", relation: "admin" }),
      viewer(user("t1")),
      viewer({ type: "tenant", id: "t1", relation: "member" }),
    ]);
    expect(answers).toEqual([true, false, false, true]);
    expect(sent.bulk[0]?.questions).toEqual([
      "agent:a9#viewer@tenant:t1#member",
      "agent:a9#viewer@tenant:t1#admin",
      "agent:a9#viewer@user:t1",
    ]);
  });

  it("an answer echoing another subject (same id, other relation) fails closed", async () => {
    // SpiceDB's answer to the first question comes back as if asked for tenant:t1#admin.
    const { port: p } = port({}, (pairs) =>
      pairs.map((pair, i) =>
        i === 0 && pair.request?.subject
          ? {
              ...pair,
              request: {
                ...pair.request,
                subject: { ...pair.request.subject, optionalRelation: "admin" },
              },
            }
          : pair,
      ),
    );
    const viewer = (subject: Subject) =>
      p.check({ subject, resource: agent("a9"), permission: "viewer" });
    expect(
      await outcomes([
        viewer({ type: "tenant", id: "t1", relation: "member" }),
        viewer(user("t1")),
      ]),
    ).toEqual(["AuthorizationUnavailableError", false]);
  });

  it("an item SpiceDB refuses fails only its own caller", async () => {
    const { port: p, sent } = port();
    const results = await outcomes([
      p.check(read(user("alice"), "a1")),
      p.check({ subject: user("alice"), resource: agent("a1"), permission: "fly" }),
      p.check(read(user("mallory"), "a1")),
    ]);
    expect(results).toEqual([true, "ConfigurationError", false]);
    expect(sent.bulk).toHaveLength(1);
    // A question invalid before any call (an id no backend could hold) never joins a batch.
    const invalid = {
      subject: user("alice"),
      resource: { type: "agent", id: "a b" },
      permission: "read",
    };
    await expect(p.check(invalid)).rejects.toBeInstanceOf(InvalidIdentifierError);
    expect(sent.bulk).toHaveLength(1);
    expect(sent.single).toEqual([]);
  });

  it("a bulk call refused as a whole is asked again item by item", async () => {
    const refusing = withPromises(db.client, {
      checkBulkPermissions: () =>
        Promise.reject(new Error("rpc error: code = InvalidArgument desc = bad item")),
    });
    const { client, sent } = recording(refusing);
    const p = spicedbPort({ client }, FRESH_READS);
    expect(
      await outcomes([p.check(read(user("alice"), "a1")), p.check(read(user("mallory"), "a1"))]),
    ).toEqual([true, false]);
    expect(sent.single).toHaveLength(2);
    // An outage is everyone's: no second round of calls.
    const down = spicedbPort(
      {
        client: withPromises(db.client, {
          checkBulkPermissions: () =>
            Promise.reject(new Error("rpc error: code = Unavailable desc = down")),
        }),
      },
      FRESH_READS,
    );
    expect(
      await outcomes([down.check(read(user("alice"), "a1")), down.check(read(user("bob"), "a1"))]),
    ).toEqual(["AuthorizationUnavailableError", "AuthorizationUnavailableError"]);
  });

  it("fails closed on an answer of the wrong length", async () => {
    for (const tamper of [
      (pairs: v1.CheckBulkPermissionsPair[]) => pairs.slice(1),
      (pairs: v1.CheckBulkPermissionsPair[]) => [...pairs, ...pairs],
      (pairs: v1.CheckBulkPermissionsPair[]) => [...pairs].reverse(),
    ]) {
      const { port: p } = port({}, tamper);
      const results = await outcomes([
        p.check(read(user("alice"), "a1")),
        p.check(read(user("mallory"), "a1")),
      ]);
      expect(results).toEqual(["AuthorizationUnavailableError", "AuthorizationUnavailableError"]);
    }
  });

  it("a revocation is seen by the next check, even with a batch in flight", async () => {
    const { port: p } = port({}, undefined, true);
    const p2 = spicedbPort({ client: db.client }, agentexPortOptions);
    const who = user(uid("u"));
    await p.grant({ subject: who, resource: agent("a1"), relation: "viewer" });
    await p.grant({ subject: who, resource: { type: "tenant", id: "acme" }, relation: "member" });
    expect(await p.check(read(who, "a1"))).toBe(true);
    const before = p.check(read(who, "a1")); // queued, sent while the revoke runs
    await p.revoke({ subject: who, resource: agent("a1"), relation: "viewer" });
    const after = await Promise.all([p.check(read(who, "a1")), p.check(read(who, "a1"))]);
    expect(after).toEqual([false, false]);
    expect(typeof (await before)).toBe("boolean");
    // Another port (another process) reads it at once when asked fully consistent.
    expect(await p2.check(read(who, "a1", { consistency: { kind: "fullyConsistent" } }))).toBe(
      false,
    );
  });

  it("checks under different consistency requirements are never merged", async () => {
    const { port: p, sent } = port({}, undefined, true);
    const { token } = await p.grant({ subject: user(uid("u")), resource: agent("a1") });
    const minimize = { kind: "minimizeLatency" } as const;
    const full = { kind: "fullyConsistent" } as const;
    await Promise.all([
      p.check(read(user("alice"), "a1", { consistency: minimize })),
      p.check(read(user("bob"), "a1")), // the port's default: at least as fresh as its write
      p.check(read(user("alice"), "a1", { consistency: full })),
      p.check(read(user("bob"), "a1", { consistency: minimize })),
      p.check(read(user("alice"), "a1")),
      p.check(read(user("bob"), "a1", { consistency: full })),
    ]);
    expect(sent.bulk.map((b) => b.consistency).sort()).toEqual(
      ["fullyConsistent", "minimizeLatency", `token:${token}`].sort(),
    );
    expect(sent.bulk.every((b) => b.questions.length === 2)).toBe(true);
  });

  it("a caller who aborts is rejected at once; the others get their answers", async () => {
    const { port: p, sent } = port();
    const leaving = new AbortController();
    const results = outcomes([
      p.check(read(user("alice"), "a1"), { signal: leaving.signal }),
      p.check(read(user("alice"), "a1")),
      p.check(read(user("mallory"), "a1")),
    ]);
    leaving.abort(new Error("client went away"));
    expect(await results).toEqual(["AuthorizationUnavailableError", true, false]);
    // Everyone gone before the batch was sent: nothing is sent.
    const all = new AbortController();
    const gone = outcomes([
      p.check(read(user("bob"), "a1"), { signal: all.signal }),
      p.check(read(user("carol"), "a1"), { signal: all.signal }),
    ]);
    all.abort();
    expect(await gone).toEqual(["AuthorizationUnavailableError", "AuthorizationUnavailableError"]);
    expect(sent.bulk).toHaveLength(1);
    expect(sent.single).toEqual([]);
    await expect(
      p.check(read(user("alice"), "a1"), { signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
  });

  it("a window gathers checks across turns; coalesce: false sends one call per check", async () => {
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    const spread = async (p: ReturnType<typeof port>["port"]) => {
      const first = p.check(read(user("alice"), "a1"));
      await nextTurn();
      const second = p.check(read(user("bob"), "a1"));
      return Promise.all([first, second]);
    };
    const windowed = port({ coalesce: { windowMs: 5 } });
    expect(await spread(windowed.port)).toEqual([true, true]);
    expect(windowed.sent.bulk).toHaveLength(1);
    // The default is one turn: the first check had already gone.
    const turn = port();
    expect(await spread(turn.port)).toEqual([true, true]);
    expect(turn.sent.single).toHaveLength(2);
    const off = port({ coalesce: false });
    const answers = await Promise.all([
      off.port.check(read(user("alice"), "a1")),
      off.port.check(read(user("alice"), "a1")),
      off.port.check(read(user("mallory"), "a1")),
    ]);
    expect(answers).toEqual([true, true, false]);
    expect(off.sent).toEqual({ bulk: [], single: expect.any(Array) });
    expect(off.sent.single).toHaveLength(3);
    for (const coalesce of [{ windowMs: 11 }, { windowMs: -1 }, { maxInFlight: 0 }, "yes"]) {
      expect(() => spicedbPort({ client: db.client }, { coalesce } as never)).toThrow(
        /spicedbPort: "coalesce/,
      );
    }
  });

  it("while a call is in flight, the checks of later turns gather into one batch", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first = true;
    const { client, sent } = recording(
      withPromises(db.client, {
        checkBulkPermissions: async (r) => {
          if (first) {
            first = false;
            await gate;
          }
          return db.client.promises.checkBulkPermissions(r);
        },
      }),
    );
    const coalescer = new CheckCoalescer(new SpiceDBCalls(client), {
      windowMs: 0,
      maxBatch: 500,
      maxInFlight: 1,
      maxDeferMs: 60_000,
    });
    const map = new Mapping({ api_key: "agent_api_key" });
    const full = { kind: "fullyConsistent" } as const;
    const ask = (who: string) =>
      coalescer.check(map.checkItem(read(user(who), "a1")), full, undefined);
    const held = [ask("alice"), ask("bob")];
    await vi.waitFor(() => expect(sent.bulk).toHaveLength(1));
    const later: Array<Promise<boolean>> = [];
    for (const who of ["carol", "mallory", "alice"]) {
      later.push(ask(who));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(sent.bulk).toHaveLength(1); // nothing more is sent while the first is in flight
    release();
    expect(await Promise.all([...held, ...later])).toEqual([true, true, false, false, true]);
    expect(sent.bulk.map((b) => b.questions.length)).toEqual([2, 3]);
  });

  it("a batch never holds more questions than one bulk call may", async () => {
    const { port: p, sent } = port({ bulkChunkSize: 3 });
    const answers = await Promise.all(
      ["alice", "bob", "carol", "mallory", "dora", "erin", "frank"].map((u) =>
        p.check(read(user(u), "a1")),
      ),
    );
    expect(answers).toEqual([true, true, false, false, false, false, false]);
    expect(sent.bulk.map((b) => b.questions.length)).toEqual([3, 3]);
    expect(sent.single).toHaveLength(1);
  });
});
