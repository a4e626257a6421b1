// Read-your-writes on the embedded SpiceDB: the consistency the port's reads carry after its
// writes (in order, overlapping, failed), for bulk calls, and from a token it was given.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type AuthorizationPort,
  agent,
  type Consistency,
  type Resource,
  tenant,
  user,
} from "../../src/index.js";
import {
  agentexPortOptions,
  type EmbeddedSpiceDB,
  type SpiceDBClient,
  spicedbPort,
} from "../../src/spicedb/index.js";
import { createSpiceDBPort } from "../../src/spicedb/port.js";
import { newerOf } from "../../src/spicedb/zedtoken.js";
import { startAgentex } from "../support/agentex-world.js";
import { uid } from "../support/port-contract.js";
import { recordingConsistency, withPromises } from "../support/spicedb-clients.js";
import { zedToken } from "../support/zedtoken.js";

/**
 * A port whose writes go to the real client at once; while `outOfOrder` runs their answers are
 * held until it releases them, so it decides the order in which the port sees them complete.
 * `rewrite` can swap the token SpiceDB answered.
 */
class HeldWrites {
  rewrite = (token: string) => token;
  readonly sent: string[];
  readonly client: SpiceDBClient;
  readonly port: AuthorizationPort;
  private held: Array<() => void> = [];
  private sentWrites = 0;
  private landed: Promise<void> = Promise.resolve();
  private hold = false;

  constructor(real: SpiceDBClient) {
    const recording = recordingConsistency(real);
    this.sent = recording.sent;
    this.client = withPromises(recording.client, {
      writeRelationships: async (r) => {
        // The embedded SpiceDB runs calls on the thread pool, where two writes sent together
        // may land in either order: each lands after the one sent before it, so that the
        // second write is the newer one; its answer then waits in `held`, at its place.
        const place = this.hold ? this.sentWrites++ : -1;
        const landed = this.landed.then(() => real.promises.writeRelationships(r));
        this.landed = landed.then(
          () => {},
          () => {},
        );
        const answer = await landed;
        if (place >= 0)
          await new Promise<void>((release) => {
            this.held[place] = release;
          });
        const token = answer.writtenAt?.token;
        return token ? { ...answer, writtenAt: { token: this.rewrite(token) } } : answer;
      },
    });
    this.port = spicedbPort({ client: this.client }, agentexPortOptions);
  }

  /**
   * The requirement the port's next default read carries (the read itself may then fail on a
   * rewritten token; only what was asked matters here).
   */
  async nextRead(): Promise<string | undefined> {
    await this.port
      .checkMany([
        { subject: user("alice"), resource: agent("a1"), permission: "read" },
        { subject: user("bob"), resource: agent("a1"), permission: "read" },
      ])
      .catch(() => {});
    return this.sent.at(-1);
  }

  grant() {
    return this.port.grant({ subject: user(uid("u")), resource: agent("a1"), relation: "viewer" });
  }

  /** Two grants, the second answered (and settled) before the first. */
  async outOfOrder(): Promise<{ first: string; second: string }> {
    this.hold = true;
    const first = this.grant();
    const second = this.grant();
    await vi.waitFor(() => expect(this.held.filter(Boolean)).toHaveLength(2));
    this.held[1]!();
    const b = await second;
    this.held[0]!();
    const a = await first;
    this.hold = false;
    this.held = [];
    this.sentWrites = 0;
    return { first: a.token!, second: b.token! };
  }
}

/** Registers a new agent of alice's in acme through `port`: the agent and the write's token. */
async function newAgent(port: AuthorizationPort): Promise<{ a: Resource; token?: string }> {
  const a = agent(uid("a"));
  const { token } = await port.register({
    subject: user("alice"),
    resource: a,
    parent: tenant("acme"),
  });
  return token ? { a, token } : { a };
}

describe("read-your-writes on the embedded SpiceDB", () => {
  let db: EmbeddedSpiceDB;
  beforeAll(async () => {
    db = await startAgentex();
  });
  afterAll(() => db.close());

  it("consistency: reads after a write see it; explicit requirements are accepted", async () => {
    const { a, token } = await newAgent(db.port);
    expect(token).toBeTruthy();
    // The default (this port's newest token) and the two fresh requirements must see the write.
    for (const consistency of [
      undefined,
      { kind: "fullyConsistent" } as const,
      { kind: "atLeastAsFresh", token: token! } as const,
    ]) {
      expect(
        await db.port.check({
          subject: user("alice"),
          resource: a,
          permission: "read",
          ...(consistency ? { consistency } : {}),
        }),
      ).toBe(true);
    }
    // minimizeLatency reads at a quantized revision (SpiceDB's default window is 5 s), so a
    // write this fresh may or may not be visible: only that it is accepted is guaranteed, and
    // that it never allows what no revision ever allowed.
    const minimize = { kind: "minimizeLatency" } as const;
    expect(
      typeof (await db.port.check({
        subject: user("alice"),
        resource: a,
        permission: "read",
        consistency: minimize,
      })),
    ).toBe("boolean");
    expect(
      await db.port.check({
        subject: user("mallory"),
        resource: a,
        permission: "read",
        consistency: minimize,
      }),
    ).toBe(false);
  });

  it("a batch mixing requirements is read at the strongest one asked for", async () => {
    const { client, sent } = recordingConsistency(db.client);
    const port = spicedbPort({ client }, agentexPortOptions);
    const { a, token } = await newAgent(port);
    const ask = (consistency: Consistency | undefined) => ({
      subject: user("alice"),
      resource: a,
      permission: "read",
      ...(consistency ? { consistency } : {}),
    });
    const minimize = { kind: "minimizeLatency" } as const;
    const fresh = { kind: "atLeastAsFresh", token: token! } as const;
    const other = { kind: "atLeastAsFresh", token: `${token!}x` } as const;
    expect(await port.checkMany([ask(minimize), ask(fresh)])).toEqual([true, true]);
    expect(await port.checkMany([ask(minimize), ask({ kind: "fullyConsistent" })])).toEqual([
      true,
      true,
    ]);
    // No requirement means the port's default: at least as fresh as its own newest write.
    expect(await port.checkMany([ask(minimize), ask(undefined)])).toEqual([true, true]);
    // Two different tokens: neither is known to be fresher, so the batch is fully consistent
    // (and the invalid second token is never sent).
    expect(await port.checkMany([ask(fresh), ask(other)])).toEqual([true, true]);
    expect(sent).toEqual([
      `atLeastAsFresh:${token}`,
      "fullyConsistent:",
      `atLeastAsFresh:${token}`,
      "fullyConsistent:",
    ]);
  });

  it("read-your-writes never regresses when writes overlap or fail", async () => {
    const writes = new HeldWrites(db.client);
    const { port, sent } = writes;

    // In sequence: the last token covers everything.
    await writes.grant();
    const { token } = await writes.grant();
    expect(await writes.nextRead()).toBe(`atLeastAsFresh:${token}`);

    // Out of order on integer revisions (the memory datastore): the second write is the newer
    // one though its answer came first; reads must be at least as fresh as it, not as the last.
    const integer = await writes.outOfOrder();
    expect(newerOf(integer.first, integer.second)).toBe(integer.second);
    expect(await writes.nextRead()).toBe(`atLeastAsFresh:${integer.second}`);

    // Out of order on revisions that cannot be compared (a Postgres-style snapshot): no token
    // is known to cover both, so reads are fully consistent.
    let n = 0;
    writes.rewrite = () => zedToken(`${++n}.0:9:`, "pg");
    await writes.outOfOrder();
    expect(await writes.nextRead()).toBe("fullyConsistent:");
    // A write started after both settled covers them again.
    const { token: settled } = await writes.grant();
    expect(await writes.nextRead()).toBe(`atLeastAsFresh:${settled}`);
    writes.rewrite = (t) => t;
    const { token: real } = await writes.grant();

    // A definite refusal (a register conflict) wrote nothing and changes nothing.
    await port.register({ subject: user("mallory"), resource: agent("a1") }).catch(() => {});
    expect(await writes.nextRead()).toBe(`atLeastAsFresh:${real}`);

    // A write that failed as unavailable may have landed: fully consistent until the next write.
    const failing = spicedbPort(
      {
        client: withPromises(writes.client, {
          writeRelationships: () =>
            Promise.reject(new Error("rpc error: code = DeadlineExceeded desc = slow")),
        }),
      },
      agentexPortOptions,
    );
    await failing.grant({ subject: user("x"), resource: agent("a1") }).catch(() => {});
    await failing.checkMany([
      { subject: user("alice"), resource: agent("a1"), permission: "read" },
      { subject: user("bob"), resource: agent("a1"), permission: "read" },
    ]);
    expect(sent.at(-1)).toBe("fullyConsistent:");
  });

  it("a port told of an earlier write reads at least as fresh as it from the start", async () => {
    const { a, token } = await newAgent(db.port);
    const { client, sent } = recordingConsistency(db.client);
    const fresh = createSpiceDBPort({ client }, agentexPortOptions, token);
    expect(
      await fresh.checkMany([{ subject: user("alice"), resource: a, permission: "read" }]),
    ).toEqual([true]);
    const blank = spicedbPort({ client }, agentexPortOptions);
    await blank.checkMany([{ subject: user("alice"), resource: a, permission: "read" }]);
    expect(sent).toEqual([`atLeastAsFresh:${token}`, "minimizeLatency:"]);
  });
});
