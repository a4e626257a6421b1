// The docs service on Hono: the same routes, data layer and edge rules as the agentex example
// (../../shared/http.ts), over kinds generated from ../schema.zed.
import type { IncomingMessage } from "node:http";
import {
  authorizeParam,
  type FgacEnv,
  fgac,
  fgacErrorHandler,
  fgacNotFoundHandler,
  subjectFromHeaders,
} from "fgac/hono";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import {
  type Answer,
  BODY_LIMIT_BYTES,
  BODY_METHODS,
  checkRequest,
  json,
  jsonBody,
  listAnswer,
  queryOf,
} from "../../shared/http.js";
import { document, folder } from "../authz.js";
import * as service from "../shared/service.js";
import type { DocsDeps } from "../shared/setup.js";

/** On Node (`@hono/node-server`), the raw request is `c.env.incoming`. */
type Env = FgacEnv & { Bindings: { incoming?: IncomingMessage } };

/** The request target as the client sent it (on Node), else the URL's path and query. */
function target(c: Context<Env>): string {
  const raw = c.env?.incoming?.url;
  if (raw !== undefined) return raw;
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

function send({ status, headers, body }: Answer): Response {
  return new Response(body, { status, headers });
}

/** Builds the Hono app. */
export function createApp(deps: DocsDeps): Hono<Env> {
  const app = new Hono<Env>();
  app.notFound(fgacNotFoundHandler());
  app.onError(fgacErrorHandler());
  app.use(async (c, next) => {
    checkRequest(c.req.method, target(c), (name) => c.req.header(name));
    await next();
  });
  app.use(fgac({ authorizer: deps.authorizer, subject: subjectFromHeaders() }));
  const limit = bodyLimit({ maxSize: BODY_LIMIT_BYTES });
  app.use(async (c, next) => (BODY_METHODS.has(c.req.method) ? limit(c, next) : next()));
  const body = async (c: Context<Env>) => jsonBody(new Uint8Array(await c.req.arrayBuffer()));

  app.post("/folders", async (c) =>
    send(json(201, await service.createFolder(deps, c.var.fgac, await body(c)))),
  );
  app.get(
    "/folders/:id",
    authorizeParam({ param: "id", resource: folder, permission: "view" }),
    async (c) => send(json(200, await service.getFolder(deps, c.req.param("id")))),
  );
  app.post("/documents", async (c) =>
    send(json(201, await service.createDocument(deps, c.var.fgac, await body(c)))),
  );
  app.get("/documents", async (c) =>
    send(listAnswer(await service.listDocuments(deps, c.var.fgac, queryOf(target(c))))),
  );
  app.get(
    "/documents/:id",
    authorizeParam({ param: "id", resource: document, permission: "view" }),
    async (c) => send(json(200, await service.getDocument(deps, c.req.param("id")))),
  );
  app.patch(
    "/documents/:id",
    authorizeParam({ param: "id", resource: document, permission: "edit" }),
    async (c) =>
      send(json(200, await service.renameDocument(deps, c.req.param("id"), await body(c)))),
  );
  app.delete(
    "/documents/:id",
    authorizeParam({ param: "id", resource: document, permission: "delete" }),
    async (c) => send(json(200, await service.deleteDocument(deps, c.var.fgac, c.req.param("id")))),
  );
  return app;
}
