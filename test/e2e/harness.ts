import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import { createApp as createExpressApp } from "../../examples/express/app.js";
import { createApp as createFastifyApp } from "../../examples/fastify/app.js";
import { createApp as createHonoApp } from "../../examples/hono/app.js";
import type { Deps } from "../../examples/shared/setup.js";

/** One HTTP answer, as bytes on the wire. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface SendInit {
  headers?: Record<string, string>;
  body?: unknown;
}

export type Send = (method: string, path: string, init?: SendInit) => Promise<Answer>;

/** A framework, driven through its own request path. */
export interface Framework {
  name: string;
  start(deps: Deps): Promise<{ send: Send; close(): Promise<void> }>;
}

function headerRecord(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

function withJson(init: SendInit): { headers: Record<string, string>; body?: string } {
  const headers = { ...init.headers };
  if (init.body === undefined) return { headers };
  headers["content-type"] = "application/json";
  return { headers, body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) };
}

/** Express through a real listening server (so Express 4's missing promise handling shows). */
function expressFramework(name: string, lib: unknown): Framework {
  return {
    name,
    async start(deps) {
      const app = createExpressApp(deps, lib as never);
      const server = app.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return {
        async send(method, path, init = {}) {
          const { headers, body } = withJson(init);
          const res = await fetch(base + path, {
            method,
            headers,
            ...(body !== undefined ? { body } : {}),
          });
          return { status: res.status, headers: headerRecord(res.headers), body: await res.text() };
        },
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    },
  };
}

const require = createRequire(import.meta.url);

export const FRAMEWORKS: Framework[] = [
  expressFramework("express 5", require("express")),
  expressFramework("express 4", require("express4")),
  {
    name: "fastify",
    async start(deps) {
      const app = await createFastifyApp(deps);
      return {
        async send(method, path, init = {}) {
          const { headers, body } = withJson(init);
          const res = await app.inject({
            method: method as "GET",
            url: path,
            headers,
            ...(body !== undefined ? { payload: body } : {}),
          });
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) h[k] = String(v);
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
        async send(method, path, init = {}) {
          const { headers, body } = withJson(init);
          const res = await app.request(path, {
            method,
            headers,
            ...(body !== undefined ? { body } : {}),
          });
          return { status: res.status, headers: headerRecord(res.headers), body: await res.text() };
        },
        async close() {},
      };
    },
  },
];

/**
 * Follows a list's keyset pages from `after=` (the first page) to the end, sending each
 * `x-next-after` back verbatim as `after`; checks each answer is a 200 JSON array and that the
 * cursor moves. The ids of each page, in order.
 */
export async function keysetPages(send: Send, path: string, init: SendInit = {}) {
  const pages: string[][] = [];
  let after = "";
  for (;;) {
    const answer = await send(
      "GET",
      `${path}${path.includes("?") ? "&" : "?"}after=${after}`,
      init,
    );
    expect(answer.status, answer.body).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    pages.push((JSON.parse(answer.body) as Array<{ id: string }>).map((r) => r.id));
    const next = answer.headers["x-next-after"];
    if (next === undefined) return pages;
    expect(next).not.toBe(after);
    expect(pages.length, "more pages than rows").toBeLessThan(50);
    after = next;
  }
}
