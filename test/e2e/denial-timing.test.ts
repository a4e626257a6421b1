// With the denial timing floor on (the default), an absent id and a hidden one cannot be told
// apart by the time their 404 takes, over HTTP on loopback: P(absent answers faster) within
// 0.50 ± 0.15 over interleaved pairs. A statistic within one run, as a ratio would be, never an
// absolute time; the full measurement (2,000 samples, every route, on and off) is
// `npm run bench:timing`.
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probabilityFaster } from "../../bench/timing-stats.js";
import { createDb, type Db, pgliteSql } from "../../examples/shared/db.js";
import { serve } from "../../examples/shared/server.js";
import { type Deps, startDeps } from "../../examples/shared/setup.js";

const PAIRS = 250;
const WARMUP = 60;

let pglite: PGlite;
let db: Db;
let deps: Deps;
beforeAll(async () => {
  pglite = await PGlite.create();
  db = await createDb(pgliteSql(pglite));
  deps = await startDeps({ db });
});
afterAll(async () => {
  await deps?.close();
  await db?.close();
});

describe.each([
  ["GET /agent_api_keys/:id", "/agent_api_keys/key-alice", "/agent_api_keys/no-such-key"],
  [
    "GET /agent_api_keys/name/:name",
    "/agent_api_keys/name/alice-ci?agent_id=support-bot",
    "/agent_api_keys/name/no-such-name?agent_id=support-bot",
  ],
])("denial timing on %s (hono)", (_, hidden, absent) => {
  it("the same bytes, and P(absent answers faster than hidden) within 0.50 ± 0.15", async () => {
    const served = await serve("hono", deps);
    const get = async (path: string) => {
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${served.port}${path}`, {
        headers: { "x-user-id": "mallory" },
      });
      const body = `${res.status} ${await res.text()}`;
      return { ms: performance.now() - started, body };
    };
    try {
      const expected = (await get(hidden)).body;
      expect(expected).toBe('404 {"message":"Agent api_key not found.","code":404,"data":null}');
      const times = { [hidden]: [] as number[], [absent]: [] as number[] };
      for (let i = 0; i < WARMUP + PAIRS; i++) {
        // Interleaved, in a random order per pair, so drift and GC hit both alike.
        for (const path of Math.random() < 0.5 ? [hidden, absent] : [absent, hidden]) {
          const answer = await get(path);
          expect(answer.body).toBe(expected);
          if (i >= WARMUP) times[path]?.push(answer.ms);
        }
      }
      const p = probabilityFaster(times[absent] ?? [], times[hidden] ?? []);
      expect(Math.abs(p - 0.5), `P = ${p.toFixed(3)}`).toBeLessThan(0.15);
      const [stats] = deps.authorizer
        .timingStats()
        .filter((s) => s.resourceType === "api_key" && s.lookup === hidden.includes("/name/"));
      expect(stats?.denials).toBeGreaterThanOrEqual(2 * (WARMUP + PAIRS));
    } finally {
      await served.close();
    }
  }, 180_000);
});
