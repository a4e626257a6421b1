// The docs example's apps, each driven through its framework's own request path (a listening
// server for Express 4 and 5, inject() for Fastify, request() for Hono), as harness.ts does
// for the agentex service.
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { createApp as createExpressApp } from "../../examples/docs/express/app.js";
import { createApp as createFastifyApp } from "../../examples/docs/fastify/app.js";
import { createApp as createHonoApp } from "../../examples/docs/hono/app.js";
import type { DocsDeps } from "../../examples/docs/shared/setup.js";
import type { Send, SendInit } from "./harness.js";

/** A framework serving the docs app. */
export interface DocsFramework {
  name: string;
  start(deps: DocsDeps): Promise<{ send: Send; close(): Promise<void> }>;
}

function request(init: SendInit): { headers: Record<string, string>; body?: string } {
  const headers = { ...init.headers };
  if (init.body === undefined) return { headers };
  headers["content-type"] = "application/json";
  return { headers, body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) };
}

async function answer(res: Response) {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, key) => {
    headers[key] = value;
  });
  return { status: res.status, headers, body: await res.text() };
}

function express(name: string, lib: unknown): DocsFramework {
  return {
    name,
    async start(deps) {
      const server = createExpressApp(deps, lib as never).listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return {
        send: async (method, path, init = {}) =>
          answer(await fetch(base + path, { method, ...request(init) })),
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    },
  };
}

const require = createRequire(import.meta.url);

export const DOCS_FRAMEWORKS: DocsFramework[] = [
  express("express 5", require("express")),
  express("express 4", require("express4")),
  {
    name: "fastify",
    async start(deps) {
      const app = await createFastifyApp(deps);
      return {
        async send(method, url, init = {}) {
          const { headers, body } = request(init);
          const res = await app.inject({
            method: method as "GET",
            url,
            headers,
            ...(body !== undefined ? { payload: body } : {}),
          });
          const h = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
          return { status: res.statusCode, headers: h, body: res.body };
        },
        close: () => app.close(),
      };
    },
  },
  {
    name: "hono",
    async start(deps) {
      const app = createHonoApp(deps);
      return {
        send: async (method, path, init = {}) =>
          answer(await app.request(path, { method, ...request(init) })),
        async close() {},
      };
    },
  },
];
