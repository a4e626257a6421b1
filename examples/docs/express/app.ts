// The docs service on Express: the same routes, data layer and edge rules as the agentex
// example (../../shared/http.ts), over kinds generated from ../schema.zed.
import express, { type Express, type Request, type Response } from "express";
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
} from "../../shared/http.js";
import { document, folder } from "../authz.js";
import * as service from "../shared/service.js";
import type { DocsDeps } from "../shared/setup.js";

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
export function createApp(deps: DocsDeps, lib: typeof express = express): Express {
  const app = lib();
  app.set("case sensitive routing", true);
  app.set("strict routing", true);
  app.disable("x-powered-by");
  app.use((req, _res, next) => {
    checkRequest(req.method, req.originalUrl, (name) => req.header(name));
    next();
  });
  app.use(fgac({ authorizer: deps.authorizer, subject: subjectFromHeaders() }));
  app.use(
    lib.raw({
      type: (req) => BODY_METHODS.has(req.method ?? ""),
      limit: BODY_LIMIT_BYTES,
      inflate: false,
    }),
  );
  const id = (req: Request) => req.params["id"] as string;

  app.post(
    "/folders",
    route(async (req) =>
      json(201, await service.createFolder(deps, getFgac(req), jsonBody(req.body))),
    ),
  );
  app.get(
    "/folders/:id",
    authorizeParam({ param: "id", resource: folder, permission: "view" }),
    route(async (req) => json(200, await service.getFolder(deps, id(req)))),
  );
  app.post(
    "/documents",
    route(async (req) =>
      json(201, await service.createDocument(deps, getFgac(req), jsonBody(req.body))),
    ),
  );
  app.get(
    "/documents",
    route(async (req) =>
      listAnswer(await service.listDocuments(deps, getFgac(req), queryOf(req.originalUrl))),
    ),
  );
  app.get(
    "/documents/:id",
    authorizeParam({ param: "id", resource: document, permission: "view" }),
    route(async (req) => json(200, await service.getDocument(deps, id(req)))),
  );
  app.patch(
    "/documents/:id",
    authorizeParam({ param: "id", resource: document, permission: "edit" }),
    route(async (req) =>
      json(200, await service.renameDocument(deps, id(req), jsonBody(req.body))),
    ),
  );
  app.delete(
    "/documents/:id",
    authorizeParam({ param: "id", resource: document, permission: "delete" }),
    route(async (req) => json(200, await service.deleteDocument(deps, getFgac(req), id(req)))),
  );

  app.use(fgacNotFoundHandler());
  app.use(fgacErrorHandler());
  return app;
}
