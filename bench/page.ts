// The list benchmark: the first page of 50 rows alice may read, by `authz.page` (adaptive)
// against looking up every id she can read and filtering the query by them ("lookup all, then
// IN"), with her rows spread over the table or all at its end. Interleaved rounds, medians.
import { apiKey, type CandidateFilter, createAuthorizer, tenant, user } from "../src/index.js";
import {
  agentexPortOptions,
  agentexSchema,
  spicedbPort,
  startEmbeddedSpiceDB,
} from "../src/spicedb/index.js";
import { keyId, listWorld, median, ms, say, time } from "./lib.js";

const SIZES = (process.env["BENCH_PAGE_SIZES"] ?? "1000,10000,100000").split(",").map(Number);
const LIMIT = 50;
/** The authorizer's default deadline: past it a call is a 503. */
const DEFAULT_TIMEOUT_MS = 2000;

interface Row {
  id: string;
}

/** The application's table, sorted by id, and its keyset query. */
function table(keys: number) {
  const rows: Row[] = Array.from({ length: keys }, (_, n) => ({ id: keyId(n) }));
  const startAfter = (after: string | undefined) => {
    if (after === undefined) return 0;
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((rows[mid] as Row).id <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return async (after: string | undefined, limit: number, filter?: CandidateFilter) => {
    const ids = filter ? new Set(filter.ids) : undefined;
    const out: Row[] = [];
    for (let i = startAfter(after); i < rows.length && out.length < limit; i++) {
      const row = rows[i] as Row;
      if (!ids || ids.has(row.id)) out.push(row);
    }
    return out;
  };
}

export async function pageBench(): Promise<void> {
  for (const keys of SIZES) {
    for (const layout of ["spread", "end"] as const) {
      await oneWorld(keys, layout);
    }
  }
}

async function oneWorld(keys: number, layout: "spread" | "end"): Promise<void> {
  const readable = keys / 10;
  const { relationships } = listWorld(keys, readable, layout);
  const rssBefore = process.memoryUsage().rss;
  const db = await startEmbeddedSpiceDB({ schema: agentexSchema, relationships });
  const rssPer10k = ((process.memoryUsage().rss - rssBefore) / relationships.length) * 10_000;
  const rounds = keys >= 100_000 ? 3 : keys >= 10_000 ? 5 : 15;
  say(
    `\n-- first page of ${LIMIT}: alice reads ${readable} of ${keys} keys (${layout === "spread" ? "spread" : "all at the end"}), ${relationships.length} relationships, ${rounds} rounds, medians${keys >= 100_000 ? `; RSS +${(rssPer10k / 1e6).toFixed(0)} MB per 10k relationships` : ""} --`,
  );
  const candidates = table(keys);
  // fgac: the default port and the default deadline.
  const fgac = createAuthorizer({ port: db.port }).forSubject(user("alice"));
  // The baseline gets all the time it needs, to measure it (under the default deadline a
  // lookup that takes longer is a 503). Its port reads its own write, hence the seed.
  const patient = spicedbPort(
    { client: db.client },
    { ...agentexPortOptions, deadlineMs: 600_000 },
  );
  await patient.grant({
    subject: user("nobody"),
    resource: tenant("elsewhere"),
    relation: "member",
  });
  const baseline = createAuthorizer({ port: patient, timeoutMs: 600_000 }).forSubject(
    user("alice"),
  );

  let baselineFailed = 0;
  const lookupAll = async () => {
    try {
      const ids = await baseline.authorizedIds(apiKey, "read");
      return await candidates(undefined, LIMIT, { ids: ids ?? [] });
    } catch {
      // SpiceDB's own limit on one request (30 s) or the stream's: a lower bound.
      baselineFailed += 1;
      return [];
    }
  };
  let unavailable = 0;
  let short = 0;
  const firstPage = async (strategy: "auto" | "check") => {
    const page = await fgac
      .page(apiKey, "read", { limit: LIMIT, candidates, strategy })
      .catch(() => {
        unavailable += 1;
        return undefined;
      });
    if (page && page.items.length < LIMIT && page.next !== undefined) short += 1;
    return page;
  };
  /** 50 rows, following `next` past short pages (each call bounded by its budgets). */
  const fiftyRows = async (strategy: "auto" | "check") => {
    let rows = 0;
    let after: string | undefined;
    do {
      const page = await fgac.page(apiKey, "read", {
        limit: LIMIT - rows,
        candidates,
        strategy,
        ...(after === undefined ? {} : { after }),
      });
      rows += page.items.length;
      after = page.next;
    } while (rows < LIMIT && after !== undefined);
  };

  const t: Record<string, number[]> = { lookupAll: [], page: [], fifty: [], check: [] };
  // Checking candidates alone at 100k with the rows at the end reads 90 000 rows: skipped.
  const checkOnly = !(layout === "end" && keys > 10_000);
  // There the page falls back to a lookup that outlives the deadline; the embedded library
  // goes on computing an abandoned LookupResources for seconds (measured: a bulk check of 50
  // right after took 13 s), which would slow whatever runs next: its rounds go last.
  const lookupOutlivesDeadline = layout === "end" && keys >= 100_000;
  await lookupAll();
  if (!lookupOutlivesDeadline) await firstPage("auto");
  for (let r = 0; r < rounds; r++) {
    t["lookupAll"]?.push(await time(lookupAll));
    if (lookupOutlivesDeadline) continue;
    t["page"]?.push(await time(() => firstPage("auto")));
    t["fifty"]?.push(await time(() => fiftyRows("auto")));
    if (checkOnly) t["check"]?.push(await time(() => fiftyRows("check")));
  }
  if (lookupOutlivesDeadline) t["page"]?.push(await time(() => firstPage("auto")));
  const m = (k: string) => median(t[k] ?? []);
  const calls = t["page"]?.length ?? 0;
  say(
    `lookup all ${readable} ids, then IN (baseline)                     ${ms(m("lookupAll"))}${m("lookupAll") > DEFAULT_TIMEOUT_MS ? "  (a 503 under the default 2000 ms deadline)" : ""}${baselineFailed ? `  failed ${baselineFailed}/${t["lookupAll"]?.length} (time to failure: a lower bound)` : ""}`,
  );
  say(
    `authz.page, first call                                         ${ms(m("page"))}  ratio ${(m("lookupAll") / m("page")).toFixed(1)}x  503s ${unavailable}  short pages ${short}/${calls}`,
  );
  if (lookupOutlivesDeadline) {
    say(`authz.page, first ${LIMIT} rows: skipped (each call's lookup outlives its deadline here)`);
  } else {
    say(
      `authz.page, first ${LIMIT} rows (following next past short pages)     ${ms(m("fifty"))}  ratio ${(m("lookupAll") / m("fifty")).toFixed(1)}x`,
    );
  }
  if (checkOnly) {
    say(
      `page loop alone (strategy "check"), first ${LIMIT} rows              ${ms(m("check"))}  ratio ${(m("lookupAll") / m("check")).toFixed(1)}x`,
    );
  } else {
    say(
      `page loop alone (strategy "check"): skipped (it would read ${keys - readable} rows first)`,
    );
  }
  await db.close();
}
