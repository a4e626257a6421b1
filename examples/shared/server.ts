// Serves one of the three apps on a Node HTTP server, each the same way: requests Node cannot
// parse, and requests Hono's Node server refuses, are answered in fgac's error shape too.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type express from "express";
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

/**
 * Starts `framework`'s app over `deps` on `host:port` (port 0: any free port).
 * @param lib - Express only: the Express to use (4 or 5; default the installed one)
 */
export async function serve(
  framework: Framework,
  deps: Deps,
  {
    port = 0,
    host = "127.0.0.1",
    lib,
  }: { port?: number; host?: string; lib?: typeof express } = {},
): Promise<Served> {
  if (framework === "express") {
    const { createApp } = await import("../express/app.js");
    return listen(createServer(createApp(deps, lib)), port, host);
  }
  if (framework === "fastify") {
    const { createApp } = await import("../fastify/app.js");
    const app = await createApp(deps);
    await app.listen({ port, host });
    return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
  }
  const { createApp } = await import("../hono/app.js");
  const { getRequestListener } = await import("@hono/node-server");
  const listener = getRequestListener(createApp(deps).fetch, {
    errorHandler: requestErrorResponse,
  });
  return listen(createServer(listener), port, host);
}

/**
 * Starts the docs example's app (`examples/docs/`) on `framework`, served the same way as
 * {@link serve} serves the agentex one.
 */
export async function serveDocs(
  framework: Framework,
  deps: import("../docs/shared/setup.js").DocsDeps,
  {
    port = 0,
    host = "127.0.0.1",
    lib,
  }: { port?: number; host?: string; lib?: typeof express } = {},
): Promise<Served> {
  if (framework === "express") {
    const { createApp } = await import("../docs/express/app.js");
    return listen(createServer(createApp(deps, lib)), port, host);
  }
  if (framework === "fastify") {
    const { createApp } = await import("../docs/fastify/app.js");
    const app = await createApp(deps);
    await app.listen({ port, host });
    return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
  }
  const { createApp } = await import("../docs/hono/app.js");
  const { getRequestListener } = await import("@hono/node-server");
  const listener = getRequestListener(createApp(deps).fetch, {
    errorHandler: requestErrorResponse,
  });
  return listen(createServer(listener), port, host);
}
