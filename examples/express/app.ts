// The agentex api-key service on Express.
import express, { type Express, type Request, type RequestHandler, type Response } from "express";
import { agent, apiKey } from "fgac";
import { authorizeParam, fgac, fgacErrorHandler, getFgac, subjectFromHeaders } from "fgac/express";
import * as service from "../shared/service.js";
import type { Deps } from "../shared/setup.js";

/** Express 4 does not catch rejected promises: hand every failure to next(). */
const handle =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

/** Builds the Express app (`express` may be Express 4 or 5). */
export function createApp(deps: Deps, lib: typeof express = express): Express {
  const app = lib();
  app.use(lib.json());
  app.use(fgac({ authorizer: deps.authorizer, subject: subjectFromHeaders() }));

  app.post(
    "/agents",
    handle(async (req, res) => {
      res.status(201).json(await service.createAgent(deps, getFgac(req), req.body));
    }),
  );
  app.get(
    "/agents/:id",
    authorizeParam({ param: "id", resource: agent, permission: "read" }),
    handle(async (req, res) => {
      res.json(await service.getAgent(deps, req.params["id"] as string));
    }),
  );

  app.post(
    "/agent_api_keys",
    handle(async (req, res) => {
      res.status(201).json(await service.createApiKey(deps, getFgac(req), req.body));
    }),
  );
  app.get(
    "/agent_api_keys",
    handle(async (req, res) => {
      res.json(await service.listApiKeys(deps, getFgac(req), req.query));
    }),
  );
  app.get("/agent_api_keys/name/:name", async (req, res, next) => {
    try {
      res.json(
        await service.getApiKeyByName(deps, getFgac(req), req.params["name"] as string, req.query),
      );
    } catch (e) {
      next(e);
    }
  });
  app.delete("/agent_api_keys/name/:name", async (req, res, next) => {
    try {
      res.json(
        await service.deleteApiKeyByName(
          deps,
          getFgac(req),
          req.params["name"] as string,
          req.query,
        ),
      );
    } catch (e) {
      next(e);
    }
  });
  app.get(
    "/agent_api_keys/:id",
    authorizeParam({ param: "id", resource: apiKey, permission: "read" }),
    handle(async (req, res) => {
      res.json(await service.getApiKey(deps, req.params["id"] as string));
    }),
  );
  app.delete(
    "/agent_api_keys/:id",
    authorizeParam({ param: "id", resource: apiKey, permission: "delete" }),
    handle(async (req, res) => {
      res.json(await service.deleteApiKey(deps, getFgac(req), req.params["id"] as string));
    }),
  );

  app.use(fgacErrorHandler());
  return app;
}
