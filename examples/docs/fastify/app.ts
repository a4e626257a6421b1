// The docs service on Fastify: the same routes, data layer and edge rules as the agentex
// example (../../shared/http.ts), over kinds generated from ../schema.zed.
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
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
} from "../../shared/http.js";
import { document, folder } from "../authz.js";
import * as service from "../shared/service.js";
import type { DocsDeps } from "../shared/setup.js";

type Params = { id: string };

function send(reply: FastifyReply, { status, headers, body }: Answer): FastifyReply {
  return reply.code(status).headers(headers).send(body);
}

/**
 * Builds the Fastify app, configured as the agentex example's (see ../../fastify/app.ts): ids
 * up to 1024 characters, the same answers to malformed requests, Node's server timeouts.
 */
export async function createApp(deps: DocsDeps): Promise<FastifyInstance> {
  const app = Fastify({
    routerOptions: { maxParamLength: 16 * 1024 },
    bodyLimit: BODY_LIMIT_BYTES,
    frameworkErrors: fgacErrorHandler(),
    clientErrorHandler: answerClientError,
    keepAliveTimeout: 5_000,
    requestTimeout: 300_000,
    return503OnClosing: false,
  });
  app.addHook("onRequest", async (request) => {
    checkRequest(request.method, request.raw.url ?? "", (name) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(", ") : value;
    });
  });
  await app.register(fgacPlugin, { authorizer: deps.authorizer, subject: subjectFromHeaders() });
  // Fastify matches an empty parameter (/documents/), Express and Hono do not: not found.
  app.addHook("preValidation", async (request, reply) => {
    const params = Object.values((request.params ?? {}) as Record<string, unknown>);
    if (!params.includes("")) return;
    reply.callNotFound();
    return reply;
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  app.post("/folders", async (request, reply) =>
    send(
      reply,
      json(201, await service.createFolder(deps, getFgac(request), jsonBody(request.body))),
    ),
  );
  app.get<{ Params: Params }>(
    "/folders/:id",
    { preHandler: authorizeParam({ param: "id", resource: folder, permission: "view" }) },
    async (request, reply) =>
      send(reply, json(200, await service.getFolder(deps, request.params.id))),
  );
  app.post("/documents", async (request, reply) =>
    send(
      reply,
      json(201, await service.createDocument(deps, getFgac(request), jsonBody(request.body))),
    ),
  );
  app.get("/documents", async (request, reply) =>
    send(
      reply,
      listAnswer(
        await service.listDocuments(deps, getFgac(request), queryOf(request.raw.url ?? "")),
      ),
    ),
  );
  app.get<{ Params: Params }>(
    "/documents/:id",
    { preHandler: authorizeParam({ param: "id", resource: document, permission: "view" }) },
    async (request, reply) =>
      send(reply, json(200, await service.getDocument(deps, request.params.id))),
  );
  app.patch<{ Params: Params }>(
    "/documents/:id",
    { preHandler: authorizeParam({ param: "id", resource: document, permission: "edit" }) },
    async (request, reply) =>
      send(
        reply,
        json(200, await service.renameDocument(deps, request.params.id, jsonBody(request.body))),
      ),
  );
  app.delete<{ Params: Params }>(
    "/documents/:id",
    { preHandler: authorizeParam({ param: "id", resource: document, permission: "delete" }) },
    async (request, reply) =>
      send(
        reply,
        json(200, await service.deleteDocument(deps, getFgac(request), request.params.id)),
      ),
  );
  await app.ready();
  return app;
}
