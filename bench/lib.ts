// Shared by the benchmarks: interleaved comparisons with medians, the worlds they run on, and
// the lines they print (kept for docs/benchmarks.md).

export const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 30);

/** Every line printed, for the results section of docs/benchmarks.md. */
export const printed: string[] = [];

export function say(line = ""): void {
  console.log(line);
  printed.push(line);
}

export const median = (xs: readonly number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** Percentile `p` (0..1) of `xs`. */
export const percentile = (xs: readonly number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? Number.NaN;

/** ms taken by `fn`. */
export async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export const ms = (x: number) => `${x.toFixed(2).padStart(8)} ms`;

/**
 * Medians of `rounds` runs of each, interleaved (machine noise hits both alike), after one
 * warm-up each; prints them and their ratio (baseline / fgac: above 1, fgac is faster).
 */
export async function compare(
  name: string,
  baseline: () => Promise<unknown>,
  candidate: () => Promise<unknown>,
  rounds = ROUNDS,
): Promise<number> {
  const b: number[] = [];
  const c: number[] = [];
  await baseline();
  await candidate();
  for (let i = 0; i < rounds; i++) {
    b.push(await time(baseline));
    c.push(await time(candidate));
  }
  const [mb, mc] = [median(b), median(c)];
  say(`${name.padEnd(62)} baseline ${ms(mb)}  fgac ${ms(mc)}  ratio ${(mb / mc).toFixed(1)}x`);
  return mb / mc;
}

/** `k000123`: key ids whose byte order is their number's order. */
export const keyId = (n: number) => `k${String(n).padStart(6, "0")}`;

/**
 * The list world: `keys` api keys under 100 agents of tenant acme; alice reads `readable` of
 * them (she owns them; bob owns the rest), spread evenly or all at the end of the key order.
 * Two relationships per key.
 */
export function listWorld(
  keys: number,
  readable: number,
  layout: "spread" | "end",
): { relationships: string[]; mine: (n: number) => boolean } {
  const agents = 100;
  const step = keys / readable;
  const mine = (n: number) =>
    layout === "end" ? n >= keys - readable : Math.floor(n / step) * step === n;
  const relationships = ["tenant:acme#member@user:alice", "tenant:acme#member@user:bob"];
  for (let a = 0; a < agents; a++) {
    relationships.push(
      `agent:a${a}#tenant@tenant:acme`,
      `agent:a${a}#viewer@user:alice`,
      `agent:a${a}#owner@user:bob`,
    );
  }
  for (let n = 0; n < keys; n++) {
    relationships.push(
      `agent_api_key:${keyId(n)}#parent_agent@agent:a${n % agents}`,
      `agent_api_key:${keyId(n)}#owner@user:${mine(n) ? "alice" : "bob"}`,
    );
  }
  return { relationships, mine };
}
