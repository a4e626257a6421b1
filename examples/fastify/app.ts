// The agentex api-key service on Fastify.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { agent, apiKey } from "fgac";
import {
  authorizeParam,
  fgacErrorHandler,
  fgacPlugin,
  getFgac,
  subjectFromHeaders,
} from "fgac/fastify";
import {
  type Answer,
  answerClientError,
  BODY_LIMIT_BYTES,
  checkRequest,
  json,
  jsonBody,
  listAnswer,
  queryOf,
} from "../shared/http.js";
import * as service from "../shared/service.js";
import type { Deps } from "../shared/setup.js";

type Params = { id: string; name: string };

function send(reply: FastifyReply, { status, headers, body }: Answer): FastifyReply {
  return reply.code(status).headers(headers).send(body);
}

/**
 * Builds the Fastify app. Ids may be 1024 characters, and longer (invalid) ids must get the
 * same 404 as absent ones rather than Fastify's own 414: raise maxParamLength to Node's header
 * limit, which bounds the URL anyway.
 */
export async function createApp(deps: Deps): Promise<FastifyInstance> {
  const app = Fastify({
    routerOptions: { maxParamLength: 16 * 1024 },
    bodyLimit: BODY_LIMIT_BYTES,
    // Errors Fastify raises before routing (a malformed URL) get the same body shape too.
    frameworkErrors: fgacErrorHandler(),
    // And so do requests Node cannot parse (Fastify would answer its own JSON).
    clientErrorHandler: answerClientError,
    // Node's server defaults, which the Express and Hono services keep; and requests arriving
    // while the server closes are served, as there, not answered with Fastify's own 503.
    keepAliveTimeout: 5_000,
    requestTimeout: 300_000,
    return503OnClosing: false,
  });
  // Before the plugin's hook, so a bad request line is a 400 before the identity is read.
  app.addHook("onRequest", async (request) => {
    checkRequest(request.method, request.raw.url ?? "", (name) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(", ") : value;
    });
  });
  // The plugin also installs fgac's not-found handler (Fastify's own echoes the path).
  // The caller, also kept on the rows it creates as their owner (what reconcile needs).
  const subject = subjectFromHeaders();
  await app.register(fgacPlugin, { authorizer: deps.authorizer, subject });
  // Fastify matches an empty parameter (/agent_api_keys/), Express and Hono do not: not found.
  // A preValidation hook, so that identity (401) and body size (413) come first, as elsewhere.
  app.addHook("preValidation", async (request, reply) => {
    const params = Object.values((request.params ?? {}) as Record<string, unknown>);
    if (!params.includes("")) return;
    reply.callNotFound();
    return reply;
  });
  // Every body as bytes (up to bodyLimit), whatever its type: the routes parse it themselves.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  const query = (request: FastifyRequest) => queryOf(request.raw.url ?? "");

  app.post("/agents", async (request, reply) =>
    send(
      reply,
      json(
        201,
        await service.createAgent(deps, getFgac(request), jsonBody(request.body), subject(request)),
      ),
    ),
  );
  app.get<{ Params: Params }>(
    "/agents/:id",
    { preHandler: authorizeParam({ param: "id", resource: agent, permission: "read" }) },
    async (request, reply) =>
      send(reply, json(200, await service.getAgent(deps, request.params.id))),
  );
  app.post("/agent_api_keys", async (request, reply) =>
    send(
      reply,
      json(
        201,
        await service.createApiKey(
          deps,
          getFgac(request),
          jsonBody(request.body),
          subject(request),
        ),
      ),
    ),
  );
  app.get("/agent_api_keys", async (request, reply) =>
    send(reply, listAnswer(await service.listApiKeys(deps, getFgac(request), query(request)))),
  );
  app.get<{ Params: Params }>("/agent_api_keys/name/:name", async (request, reply) =>
    send(
      reply,
      json(
        200,
        await service.getApiKeyByName(deps, getFgac(request), request.params.name, query(request)),
      ),
    ),
  );
  app.delete<{ Params: Params }>("/agent_api_keys/name/:name", async (request, reply) =>
    send(
      reply,
      json(
        200,
        await service.deleteApiKeyByName(
          deps,
          getFgac(request),
          request.params.name,
          query(request),
        ),
      ),
    ),
  );
  app.get<{ Params: Params }>(
    "/agent_api_keys/:id",
    { preHandler: authorizeParam({ param: "id", resource: apiKey, permission: "read" }) },
    async (request, reply) =>
      send(reply, json(200, await service.getApiKey(deps, request.params.id))),
  );
  app.delete<{ Params: Params }>(
    "/agent_api_keys/:id",
    { preHandler: authorizeParam({ param: "id", resource: apiKey, permission: "delete" }) },
    async (request, reply) =>
      send(reply, json(200, await service.deleteApiKey(deps, getFgac(request), request.params.id))),
  );
  await app.ready();
  return app;
}
