// The example services as users run them (examples/shared/server.ts on loopback), one per
// framework and Express major, over one database and one SpiceDB, and a way to send each the
// same raw request.
import { createRequire } from "node:module";
import type express from "express";
import { expect } from "vitest";
import { type Framework, type Served, serve } from "../../examples/shared/server.js";
import type { Deps } from "../../examples/shared/setup.js";
import { type RawAnswer, type RawRequest, rawRequest } from "./raw-http.js";

const require = createRequire(import.meta.url);

const VARIANTS: Array<{ name: string; framework: Framework; lib?: typeof express }> = [
  { name: "express 5", framework: "express", lib: require("express") },
  { name: "express 4", framework: "express", lib: require("express4") },
  { name: "fastify", framework: "fastify" },
  { name: "hono", framework: "hono" },
];

/** Every example service, listening. */
export interface Servers {
  names: string[];
  /** Sends the same request to each, one after the other; answers in `names` order. */
  send(req: RawRequest): Promise<RawAnswer[]>;
  close(): Promise<void>;
}

export async function startServers(deps: Deps): Promise<Servers> {
  const served: Served[] = [];
  for (const v of VARIANTS)
    served.push(await serve(v.framework, deps, v.lib ? { lib: v.lib } : {}));
  return {
    names: VARIANTS.map((v) => v.name),
    async send(req) {
      const answers: RawAnswer[] = [];
      for (const s of served) answers.push(await rawRequest(s.port, req));
      return answers;
    },
    async close() {
      for (const s of served) await s.close();
    },
  };
}

/**
 * What must be equal everywhere: status, content type, a list's next-page cursor
 * (`x-next-after`) and body bytes (not `date`).
 */
export function wire(answer: RawAnswer): {
  status: number;
  type: string | undefined;
  next: string | undefined;
  body: string;
} {
  return {
    status: answer.status,
    type: answer.headers["content-type"],
    next: answer.headers["x-next-after"],
    body: answer.body,
  };
}

/** Asserts every answer equals the first on the wire, and returns that first one. */
export function expectSame(servers: Servers, answers: RawAnswer[], label = ""): RawAnswer {
  const first = answers[0]!;
  answers.forEach((answer, i) => {
    expect(wire(answer), `${servers.names[i]} vs ${servers.names[0]} ${label}`).toEqual(
      wire(first),
    );
  });
  return first;
}
