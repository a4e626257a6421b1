// Serves one of the three apps on a Node HTTP server, each the same way: requests Node cannot
// parse, and requests Hono's Node server refuses, are answered in fgac's error shape too.
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type express from "express";
import type { FastifyInstance } from "fastify";
import { answerClientError, requestErrorResponse } from "./http.js";
import type { Deps } from "./setup.js";

/** The frameworks the examples run on. */
export type Framework = "express" | "fastify" | "hono";

/** A listening example service. */
export interface Served {
  port: number;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<Served> {
  server.on("clientError", answerClientError);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    );
  });
}

/** Where to listen; `lib` (Express only): the Express to use (4 or 5; default the installed one). */
export interface ServeOptions {
  port?: number;
  host?: string;
  lib?: typeof express;
}

type FetchHandler = (request: Request) => Response | Promise<Response>;

/** One domain's three apps, each loaded only when served. */
interface Apps<D> {
  express: () => Promise<{ createApp(deps: D, lib?: typeof express): RequestListener }>;
  fastify: () => Promise<{ createApp(deps: D): Promise<FastifyInstance> }>;
  hono: () => Promise<{ createApp(deps: D): { fetch: FetchHandler } }>;
}

/** Serves one of a domain's apps the same way whatever the domain. */
async function serveApp<D>(
  apps: Apps<D>,
  framework: Framework,
  deps: D,
  { port = 0, host = "127.0.0.1", lib }: ServeOptions,
): Promise<Served> {
  if (framework === "express") {
    const { createApp } = await apps.express();
    return listen(createServer(createApp(deps, lib)), port, host);
  }
  if (framework === "fastify") {
    const { createApp } = await apps.fastify();
    const app = await createApp(deps);
    await app.listen({ port, host });
    return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
  }
  const { createApp } = await apps.hono();
  const { getRequestListener } = await import("@hono/node-server");
  const listener = getRequestListener(createApp(deps).fetch, {
    errorHandler: requestErrorResponse,
  });
  return listen(createServer(listener), port, host);
}

/** Starts `framework`'s agentex app over `deps` on `host:port` (port 0: any free port). */
export function serve(
  framework: Framework,
  deps: Deps,
  options: ServeOptions = {},
): Promise<Served> {
  return serveApp(
    {
      express: () => import("../express/app.js"),
      fastify: () => import("../fastify/app.js"),
      hono: () => import("../hono/app.js"),
    },
    framework,
    deps,
    options,
  );
}

/**
 * Starts the docs example's app (`examples/docs/`) on `framework`, served the same way as
 * {@link serve} serves the agentex one.
 */
export function serveDocs(
  framework: Framework,
  deps: import("../docs/shared/setup.js").DocsDeps,
  options: ServeOptions = {},
): Promise<Served> {
  return serveApp(
    {
      express: () => import("../docs/express/app.js"),
      fastify: () => import("../docs/fastify/app.js"),
      hono: () => import("../docs/hono/app.js"),
    },
    framework,
    deps,
    options,
  );
}
