// The agentex api-key service on Hono.
import type { IncomingMessage } from "node:http";
import { agent, apiKey } from "fgac";
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
} from "../shared/http.js";
import * as service from "../shared/service.js";
import type { Deps } from "../shared/setup.js";

/** On Node (`@hono/node-server`), the raw request is `c.env.incoming`. */
type Env = FgacEnv & { Bindings: { incoming?: IncomingMessage } };

/**
 * The request target as the client sent it: on Node, before the URL parser resolves `..` and
 * percent-encodes what it must; elsewhere, the URL's path and query.
 */
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
export function createApp(deps: Deps): Hono<Env> {
  const app = new Hono<Env>();
  app.notFound(fgacNotFoundHandler());
  app.onError(fgacErrorHandler());
  app.use(async (c, next) => {
    checkRequest(c.req.method, target(c), (name) => c.req.header(name));
    await next();
  });
  // The caller, also kept on the rows it creates as their owner (what reconcile needs).
  const subject = subjectFromHeaders();
  app.use(fgac({ authorizer: deps.authorizer, subject }));
  // Read (and bound) the body of the methods Fastify reads: too large throws an HTTPException
  // (413), which fgacErrorHandler answers like the other frameworks' own 413.
  const limit = bodyLimit({ maxSize: BODY_LIMIT_BYTES });
  app.use(async (c, next) => (BODY_METHODS.has(c.req.method) ? limit(c, next) : next()));
  const body = async (c: Context<Env>) => jsonBody(new Uint8Array(await c.req.arrayBuffer()));
  const query = (c: Context<Env>) => queryOf(target(c));

  app.post("/agents", async (c) =>
    send(json(201, await service.createAgent(deps, c.var.fgac, await body(c), subject(c)))),
  );
  app.get(
    "/agents/:id",
    authorizeParam({ param: "id", resource: agent, permission: "read" }),
    async (c) => send(json(200, await service.getAgent(deps, c.req.param("id")))),
  );
  app.post("/agent_api_keys", async (c) =>
    send(json(201, await service.createApiKey(deps, c.var.fgac, await body(c), subject(c)))),
  );
  app.get("/agent_api_keys", async (c) =>
    send(listAnswer(await service.listApiKeys(deps, c.var.fgac, query(c)))),
  );
  app.get("/agent_api_keys/name/:name", async (c) =>
    send(json(200, await service.getApiKeyByName(deps, c.var.fgac, c.req.param("name"), query(c)))),
  );
  app.delete("/agent_api_keys/name/:name", async (c) =>
    send(
      json(200, await service.deleteApiKeyByName(deps, c.var.fgac, c.req.param("name"), query(c))),
    ),
  );
  app.get(
    "/agent_api_keys/:id",
    authorizeParam({ param: "id", resource: apiKey, permission: "read" }),
    async (c) => send(json(200, await service.getApiKey(deps, c.req.param("id")))),
  );
  app.delete(
    "/agent_api_keys/:id",
    authorizeParam({ param: "id", resource: apiKey, permission: "delete" }),
    async (c) => send(json(200, await service.deleteApiKey(deps, c.var.fgac, c.req.param("id")))),
  );
  return app;
}
