// npm run bench:timing: does a 404 tell an absent id from a hidden one by its time? Serves each
// example service twice (denial timing floor on and off), times interleaved requests over HTTP on
// loopback, prints P(absent answers faster than hidden) per route and framework, and refreshes
// the results in docs/benchmarks.md.
import { readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, loadavg } from "node:os";
import { type Framework, serve } from "../examples/shared/server.js";
import { type Deps, startDeps } from "../examples/shared/setup.js";
import { createAuthorizer, type TimingStats } from "../src/index.js";
import { probabilityFaster } from "./timing-stats.js";

const SAMPLES = Number(process.env["BENCH_TIMING_SAMPLES"] ?? 2000);
const WARMUP = Number(process.env["BENCH_TIMING_WARMUP"] ?? 300);
const FRAMEWORKS = (process.env["BENCH_TIMING_FRAMEWORKS"] ?? "express,fastify,hono").split(
  ",",
) as Framework[];
const WRITE = process.env["BENCH_TIMING_WRITE"] !== "0";
/** Only the routes whose name contains this (a quick look at one; nothing is recorded then). */
const ONLY = process.env["BENCH_TIMING_ROUTES"];
/** The floor's percentile (default: the library's, 0.99). */
const PERCENTILE = process.env["BENCH_TIMING_PERCENTILE"]
  ? Number(process.env["BENCH_TIMING_PERCENTILE"])
  : undefined;
const DOC = new URL("../docs/benchmarks.md", import.meta.url);
const START = "<!-- bench:timing:start -->";
const END = "<!-- bench:timing:end -->";

/** Mallory (tenant globex) probes acme's key `key-alice`, its agent and its name. */
interface Route {
  name: string;
  method: "GET" | "DELETE";
  hidden: string;
  absent: string;
  /** The floor's window the route's denials use: `type#permissions`, `@lookup` (findOrNotFound). */
  key: string;
}

const ROUTES: Route[] = [
  {
    name: "GET /agent_api_keys/:id",
    method: "GET",
    hidden: "/agent_api_keys/key-alice",
    absent: "/agent_api_keys/no-such-key",
    key: "api_key#read",
  },
  {
    name: "DELETE /agent_api_keys/:id",
    method: "DELETE",
    hidden: "/agent_api_keys/key-alice",
    absent: "/agent_api_keys/no-such-key",
    key: "api_key#delete+read",
  },
  {
    name: "GET /agent_api_keys/name/:name",
    method: "GET",
    hidden: "/agent_api_keys/name/alice-ci?agent_id=support-bot",
    absent: "/agent_api_keys/name/no-such-name?agent_id=support-bot",
    key: "api_key#read@lookup",
  },
  {
    name: "DELETE /agent_api_keys/name/:name",
    method: "DELETE",
    hidden: "/agent_api_keys/name/alice-ci?agent_id=support-bot",
    absent: "/agent_api_keys/name/no-such-name?agent_id=support-bot",
    key: "api_key#delete+read@lookup",
  },
  {
    name: "GET /agent_api_keys?agent_id= (hidden agent)",
    method: "GET",
    hidden: "/agent_api_keys?agent_id=support-bot",
    absent: "/agent_api_keys?agent_id=no-such-agent",
    key: "agent#read",
  },
];

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One request; resolves with the ms from sending to the last byte, and what came back. */
function time(port: number, method: string, path: string): Promise<{ ms: number; body: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      { host: "127.0.0.1", port, method, path, agent, headers: { "x-user-id": "mallory" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            ms: performance.now() - started,
            body: `${res.statusCode} ${Buffer.concat(chunks).toString()}`,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

interface Side {
  p: number;
  hidden: number;
  absent: number;
}

/** Warm-up, then `SAMPLES` pairs, each in a random order; the bodies must be identical. */
async function measure(port: number, route: Route): Promise<Side & { all: number[] }> {
  const expected = (await time(port, route.method, route.hidden)).body;
  const times = { hidden: [] as number[], absent: [] as number[] };
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const order =
      Math.random() < 0.5 ? (["hidden", "absent"] as const) : (["absent", "hidden"] as const);
    for (const side of order) {
      const answer = await time(port, route.method, route[side]);
      if (answer.body !== expected) throw new Error(`${route.name}: bodies differ: ${answer.body}`);
      if (i >= WARMUP) times[side].push(answer.ms);
    }
  }
  return {
    p: probabilityFaster(times.absent, times.hidden),
    hidden: median(times.hidden),
    absent: median(times.absent),
    all: [...times.hidden, ...times.absent],
  };
}

interface Row {
  route: string;
  framework: Framework;
  off: Side;
  on: Side;
  /** Median ms the floor added to a denial (the library's own report). */
  addedMs: number;
  /** Median of all denials, on minus off. */
  deltaMs: number;
}

async function run(deps: Deps): Promise<Row[]> {
  const rows: Row[] = [];
  for (const framework of FRAMEWORKS) {
    const on = createAuthorizer({
      port: deps.port,
      ...(PERCENTILE === undefined ? {} : { timing: { percentile: PERCENTILE } }),
    });
    const off = createAuthorizer({ port: deps.port, timing: false });
    const servedOn = await serve(framework, { ...deps, authorizer: on });
    const servedOff = await serve(framework, { ...deps, authorizer: off });
    try {
      for (const route of ROUTES.filter((r) => !ONLY || r.name.includes(ONLY))) {
        const o = await measure(servedOff.port, route);
        const n = await measure(servedOn.port, route);
        const stats = on
          .timingStats()
          .find(
            (s) => `${s.resourceType}#${s.permission}${s.lookup ? "@lookup" : ""}` === route.key,
          );
        const row: Row = {
          route: route.name,
          framework,
          off: o,
          on: n,
          addedMs: (stats as TimingStats | undefined)?.medianAddedMs ?? 0,
          deltaMs: median(n.all) - median(o.all),
        };
        rows.push(row);
        console.log(
          `${framework.padEnd(8)} ${route.name.padEnd(45)} P off ${o.p.toFixed(3)}  P on ${n.p.toFixed(3)}  ` +
            `added ${row.addedMs.toFixed(2)} ms (median, library)  on-off ${row.deltaMs.toFixed(2)} ms`,
        );
      }
    } finally {
      await servedOn.close();
      await servedOff.close();
    }
  }
  return rows;
}

function table(rows: Row[]): string {
  const lines = [
    "| route | framework | P off | P on | medians off: hidden / absent (ms) | medians on: hidden / absent (ms) | added per denial, median (ms) | on − off, median (ms) |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.route} | ${r.framework} | ${r.off.p.toFixed(2)} | **${r.on.p.toFixed(2)}** | ` +
        `${r.off.hidden.toFixed(2)} / ${r.off.absent.toFixed(2)} | ${r.on.hidden.toFixed(2)} / ${r.on.absent.toFixed(2)} | ` +
        `${r.addedMs.toFixed(2)} | ${r.deltaMs.toFixed(2)} |`,
    );
  }
  return lines.join("\n");
}

function record(rows: Row[]): void {
  const within = rows.filter((r) => Math.abs(r.on.p - 0.5) <= 0.05).length;
  const block = [
    START,
    `Recorded ${new Date().toISOString().slice(0, 10)} by \`npm run bench:timing\` (Node ${process.versions.node}, ` +
      `${cpus().length} cores, load average ${loadavg()[1]?.toFixed(1)} at the end; ${SAMPLES} interleaved samples ` +
      `per side after ${WARMUP} warm-up pairs; floor at the ${(PERCENTILE ?? 0.99) * 100}th percentile; ` +
      "PGlite and the embedded SpiceDB in the same process as the servers and the client).",
    "",
    table(rows),
    "",
    `${within} of ${rows.length} within 0.50 ± 0.05 with the floor on.`,
    END,
  ].join("\n");
  const doc = readFileSync(DOC, "utf8");
  const [before, rest] = doc.split(START);
  const after = rest?.split(END)[1];
  if (before === undefined || after === undefined)
    throw new Error("docs/benchmarks.md has no timing markers");
  writeFileSync(DOC, `${before}${block}${after}`);
  console.log(`\nrecorded in docs/benchmarks.md (${within}/${rows.length} within 0.50 ± 0.05)`);
}

const deps = await startDeps();
try {
  console.log(
    `P(absent answers faster than hidden), ${SAMPLES} samples per side; 0.50: indistinguishable\n`,
  );
  const rows = await run(deps);
  if (WRITE && !ONLY) record(rows);
} finally {
  agent.destroy();
  await deps.close();
}
