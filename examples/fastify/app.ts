// The agentex api-key service on Fastify.
import Fastify, { type FastifyInstance } from "fastify";
import { agent, apiKey } from "fgac";
import {
  authorizeParam,
  fgacErrorHandler,
  fgacPlugin,
  getFgac,
  subjectFromHeaders,
} from "fgac/fastify";
import * as service from "../shared/service.js";
import type { Deps } from "../shared/setup.js";

type Params = { id: string; name: string };

/**
 * Builds the Fastify app. Ids may be 1024 characters, and longer (invalid) ids must get the
 * same 404 as absent ones rather than Fastify's own 414: raise maxParamLength to Node's header
 * limit, which bounds the URL anyway.
 */
export async function createApp(deps: Deps): Promise<FastifyInstance> {
  const app = Fastify({
    routerOptions: { maxParamLength: 16 * 1024 },
    // Errors Fastify raises before routing (a malformed URL) get the same body shape too.
    frameworkErrors: fgacErrorHandler(),
  });
  await app.register(fgacPlugin, { authorizer: deps.authorizer, subject: subjectFromHeaders() });

  app.post("/agents", async (request, reply) => {
    reply.code(201);
    return service.createAgent(deps, getFgac(request), request.body);
  });
  app.get<{ Params: Params }>(
    "/agents/:id",
    { preHandler: authorizeParam({ param: "id", resource: agent, permission: "read" }) },
    async (request) => service.getAgent(deps, request.params.id),
  );
  app.post("/agent_api_keys", async (request, reply) => {
    reply.code(201);
    return service.createApiKey(deps, getFgac(request), request.body);
  });
  app.get("/agent_api_keys", async (request) =>
    service.listApiKeys(deps, getFgac(request), request.query),
  );
  app.get<{ Params: Params }>("/agent_api_keys/name/:name", async (request) =>
    service.getApiKeyByName(deps, getFgac(request), request.params.name, request.query),
  );
  app.delete<{ Params: Params }>("/agent_api_keys/name/:name", async (request) =>
    service.deleteApiKeyByName(deps, getFgac(request), request.params.name, request.query),
  );
  app.get<{ Params: Params }>(
    "/agent_api_keys/:id",
    { preHandler: authorizeParam({ param: "id", resource: apiKey, permission: "read" }) },
    async (request) => service.getApiKey(deps, request.params.id),
  );
  app.delete<{ Params: Params }>(
    "/agent_api_keys/:id",
    { preHandler: authorizeParam({ param: "id", resource: apiKey, permission: "delete" }) },
    async (request) => service.deleteApiKey(deps, getFgac(request), request.params.id),
  );
  await app.ready();
  return app;
}
