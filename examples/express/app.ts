// The agentex api-key service on Express.
import express, { type Express, type Request, type Response } from "express";
import { agent, apiKey } from "fgac";
import {
  authorizeParam,
  fgac,
  fgacErrorHandler,
  fgacNotFoundHandler,
  getFgac,
  subjectFromHeaders,
} from "fgac/express";
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

/** Express 4 does not catch rejected promises: hand every failure to next(). */
const route =
  (fn: (req: Request) => Promise<Answer>): express.RequestHandler =>
  (req, res, next) => {
    fn(req).then((answer) => send(res, answer), next);
  };

function send(res: Response, { status, headers, body }: Answer): void {
  res.status(status).set(headers).end(body);
}

/** Builds the Express app (`express` may be Express 4 or 5). */
export function createApp(deps: Deps, lib: typeof express = express): Express {
  const app = lib();
  // As Fastify and Hono route: /AGENT_API_KEYS and /agent_api_keys/ are other paths (404).
  app.set("case sensitive routing", true);
  app.set("strict routing", true);
  app.disable("x-powered-by");
  app.use((req, _res, next) => {
    checkRequest(req.method, req.originalUrl, (name) => req.header(name));
    next();
  });
  // The caller, also kept on the rows it creates as their owner (what reconcile needs).
  const subject = subjectFromHeaders();
  app.use(fgac({ authorizer: deps.authorizer, subject }));
  // Read (and bound) the body of the methods Fastify reads; the routes parse it themselves.
  app.use(
    lib.raw({
      type: (req) => BODY_METHODS.has(req.method ?? ""),
      limit: BODY_LIMIT_BYTES,
      inflate: false,
    }),
  );
  const query = (req: Request) => queryOf(req.originalUrl);
  const param = (req: Request, name: string) => req.params[name] as string;

  app.post(
    "/agents",
    route(async (req) =>
      json(201, await service.createAgent(deps, getFgac(req), jsonBody(req.body), subject(req))),
    ),
  );
  app.get(
    "/agents/:id",
    authorizeParam({ param: "id", resource: agent, permission: "read" }),
    route(async (req) => json(200, await service.getAgent(deps, param(req, "id")))),
  );
  app.post(
    "/agent_api_keys",
    route(async (req) =>
      json(201, await service.createApiKey(deps, getFgac(req), jsonBody(req.body), subject(req))),
    ),
  );
  app.get(
    "/agent_api_keys",
    route(async (req) => listAnswer(await service.listApiKeys(deps, getFgac(req), query(req)))),
  );
  app.get(
    "/agent_api_keys/name/:name",
    route(async (req) =>
      json(200, await service.getApiKeyByName(deps, getFgac(req), param(req, "name"), query(req))),
    ),
  );
  app.delete(
    "/agent_api_keys/name/:name",
    route(async (req) =>
      json(
        200,
        await service.deleteApiKeyByName(deps, getFgac(req), param(req, "name"), query(req)),
      ),
    ),
  );
  app.get(
    "/agent_api_keys/:id",
    authorizeParam({ param: "id", resource: apiKey, permission: "read" }),
    route(async (req) => json(200, await service.getApiKey(deps, param(req, "id")))),
  );
  app.delete(
    "/agent_api_keys/:id",
    authorizeParam({ param: "id", resource: apiKey, permission: "delete" }),
    route(async (req) =>
      json(200, await service.deleteApiKey(deps, getFgac(req), param(req, "id"))),
    ),
  );

  app.use(fgacNotFoundHandler());
  app.use(fgacErrorHandler());
  return app;
}
