// The agentex api-key service on Hono.
import { agent, apiKey } from "fgac";
import {
  authorizeParam,
  type FgacEnv,
  fgac,
  fgacErrorHandler,
  subjectFromHeaders,
} from "fgac/hono";
import { Hono } from "hono";
import * as service from "../shared/service.js";
import type { Deps } from "../shared/setup.js";

async function jsonBody(c: { req: { json(): Promise<unknown> } }): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    return undefined; // validation then answers 400
  }
}

/** Builds the Hono app. */
export function createApp(deps: Deps): Hono<FgacEnv> {
  const app = new Hono<FgacEnv>();
  app.use(fgac({ authorizer: deps.authorizer, subject: subjectFromHeaders() }));
  app.onError(fgacErrorHandler());

  app.post("/agents", async (c) =>
    c.json(await service.createAgent(deps, c.var.fgac, await jsonBody(c)), 201),
  );
  app.get(
    "/agents/:id",
    authorizeParam({ param: "id", resource: agent, permission: "read" }),
    async (c) => c.json(await service.getAgent(deps, c.req.param("id"))),
  );
  app.post("/agent_api_keys", async (c) =>
    c.json(await service.createApiKey(deps, c.var.fgac, await jsonBody(c)), 201),
  );
  app.get("/agent_api_keys", async (c) =>
    c.json(await service.listApiKeys(deps, c.var.fgac, c.req.query())),
  );
  app.get("/agent_api_keys/name/:name", async (c) =>
    c.json(await service.getApiKeyByName(deps, c.var.fgac, c.req.param("name"), c.req.query())),
  );
  app.delete("/agent_api_keys/name/:name", async (c) =>
    c.json(await service.deleteApiKeyByName(deps, c.var.fgac, c.req.param("name"), c.req.query())),
  );
  app.get(
    "/agent_api_keys/:id",
    authorizeParam({ param: "id", resource: apiKey, permission: "read" }),
    async (c) => c.json(await service.getApiKey(deps, c.req.param("id"))),
  );
  app.delete(
    "/agent_api_keys/:id",
    authorizeParam({ param: "id", resource: apiKey, permission: "delete" }),
    async (c) => c.json(await service.deleteApiKey(deps, c.var.fgac, c.req.param("id"))),
  );
  return app;
}
