// Denial timing: an adaptive floor under every collapsed 404, so that an absent resource and a
// hidden one answer after the same time; the latency windows per kind and permission, and their report.
import * as z from "zod/mini";
import type { Logger } from "./logger.js";

/**
 * Options of the denial timing floor (`createAuthorizer({ timing })`).
 *
 * Every collapsed 404 (`checkOrNotFound`, `authorizeParam`, `findOrNotFound`, a scoped list of
 * a hidden parent) completes no sooner than `percentile` of the recent decision latencies of
 * the same kind and permission, measured from the start of the call. Allowed requests only
 * add their latency to the window; they never wait.
 *
 * @example
 * ```ts
 * const authorizer = createAuthorizer({ port, timing: { percentile: 0.995, maxDelayMs: 50 } });
 * const off = createAuthorizer({ port, timing: false });
 * ```
 */
export interface TimingOptions {
  /** The floor: this percentile of the recent latencies (default 0.99; 0.5 to 1). */
  percentile?: number;
  /** Latencies kept per kind and permission (default 512). */
  window?: number;
  /**
   * Most time added to one denial, in ms (default 100). A floor above it is capped (and
   * counted in {@link TimingStats.capped}): past it, the tail can show again.
   */
  maxDelayMs?: number;
}

/**
 * What {@link Authorizer.timingStats} reports for one kind and permission.
 *
 * @example
 * ```ts
 * for (const s of authorizer.timingStats()) console.log(s);
 * ```
 */
export interface TimingStats {
  /** The library-side type, e.g. `"api_key"`. */
  resourceType: string;
  /** The permissions asked together, e.g. `"delete+read"` under `"unless-readable"`. */
  permission: string;
  /**
   * True for the window of checks that count from the caller's `startedAt` (a lookup before
   * the check, as `findOrNotFound` does): their latencies include that work.
   */
  lookup: boolean;
  /** Latencies in the window. */
  samples: number;
  /** The current floor in ms (capped at `maxDelayMs`). */
  floorMs: number;
  /** Collapsed denials so far. */
  denials: number;
  /** Denials that waited (the others took longer than the floor by themselves). */
  padded: number;
  /** Denials whose floor was capped at `maxDelayMs`. */
  capped: number;
  /** Median ms added to the recent denials (the cost of the defence). */
  medianAddedMs: number;
  /** Most ms added to one recent denial. */
  maxAddedMs: number;
  /** Ms added in total. */
  totalAddedMs: number;
}

/** @internal The options schema (`createAuthorizer` checks it at factory time). */
export const timingOptionsSchema = z.union([
  z.literal(false),
  z.object({
    percentile: z.optional(z.number().check(z.gte(0.5), z.lte(1))),
    window: z.optional(z.number().check(z.int(), z.gte(16), z.lte(100_000))),
    maxDelayMs: z.optional(z.number().check(z.gte(0), z.lte(60_000))),
  }),
]);

const DEFAULTS = { percentile: 0.99, window: 512, maxDelayMs: 100 } as const;
/** Kinds × permission sets tracked at most: they come from code, not requests. */
const MAX_KEYS = 1000;
/** The floor is recomputed after this many new latencies (a sort of the window). */
const RECOMPUTE_EVERY = 16;

/** A ring of the last `size` numbers. */
class Ring {
  private readonly values: Float64Array;
  private next = 0;
  count = 0;
  constructor(size: number) {
    this.values = new Float64Array(size);
  }
  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.values.length;
    this.count = Math.min(this.count + 1, this.values.length);
  }
  /** The `p` quantile (nearest rank) of what it holds; 0 when empty. */
  quantile(p: number): number {
    if (this.count === 0) return 0;
    const sorted = this.values.slice(0, this.count).sort();
    return sorted[Math.min(this.count - 1, Math.ceil(p * this.count) - 1)] ?? 0;
  }
  max(): number {
    return this.count === 0 ? 0 : Math.max(...this.values.subarray(0, this.count));
  }
}

/**
 * The latencies of one kind and permission set, and the floor its collapsed denials wait for.
 *
 * @internal
 */
export class TimingWindow {
  private readonly latencies: Ring;
  private readonly added = new Ring(256);
  private floor = 0;
  private sinceRecompute = Number.POSITIVE_INFINITY;
  private denials = 0;
  private padded = 0;
  private capped = 0;
  private totalAdded = 0;

  constructor(
    readonly resourceType: string,
    readonly permission: string,
    readonly lookup: boolean,
    private readonly options: Required<TimingOptions>,
    private readonly logger: Logger,
  ) {
    this.latencies = new Ring(options.window);
  }

  /** One decision took `ms` (from the start of the call): allowed or denied alike. */
  record(ms: number): void {
    this.latencies.push(ms);
    this.sinceRecompute += 1;
  }

  private currentFloor(): number {
    if (this.sinceRecompute >= RECOMPUTE_EVERY) {
      this.floor = this.latencies.quantile(this.options.percentile);
      this.sinceRecompute = 0;
    }
    return this.floor;
  }

  /**
   * Waits until `startedAt + floor` (a `performance.now()` time): a collapsed denial then ends
   * when any other of its kind would. Never waits longer than `maxDelayMs`.
   */
  async pad(startedAt: number): Promise<void> {
    const floor = this.currentFloor();
    this.denials += 1;
    if (floor > this.options.maxDelayMs) this.capped += 1;
    const target = startedAt + Math.min(floor, this.options.maxDelayMs);
    const waitFrom = performance.now();
    if (waitFrom < target) {
      await sleepUntil(target);
      this.padded += 1;
    }
    const addedMs = performance.now() - waitFrom;
    this.added.push(addedMs);
    this.totalAdded += addedMs;
    this.logger.debug(
      {
        fgac: "timing",
        resourceType: this.resourceType,
        permission: this.permission,
        ...(this.lookup ? { lookup: true } : {}),
        addedMs: Math.round(addedMs * 100) / 100,
      },
      "fgac: denial held to the floor",
    );
  }

  stats(): TimingStats {
    return {
      resourceType: this.resourceType,
      permission: this.permission,
      lookup: this.lookup,
      samples: this.latencies.count,
      floorMs: Math.min(this.latencies.quantile(this.options.percentile), this.options.maxDelayMs),
      denials: this.denials,
      padded: this.padded,
      capped: this.capped,
      medianAddedMs: this.added.quantile(0.5),
      maxAddedMs: this.added.max(),
      totalAddedMs: this.totalAdded,
    };
  }
}

/**
 * Sleeps until `performance.now() >= target`, to within one turn of the event loop. A timer
 * has a 1 ms grain (a shorter one waits 1 ms) and counts from the loop's cached clock, which
 * lags when the same turn did synchronous work: it would end a denial that was closer to the
 * floor later than one that was further from it, and that difference is what must not show.
 * So a timer covers all but the last millisecond, and the rest is waited by yielding to the
 * loop (`setImmediate`, which lets I/O run) until the real clock reaches the target.
 */
async function sleepUntil(target: number): Promise<void> {
  for (;;) {
    const left = target - performance.now();
    if (left <= 0) return;
    await new Promise<void>((resolve) =>
      left > 2 ? setTimeout(resolve, left - 1.5) : setImmediate(resolve),
    );
  }
}

/**
 * The timing floors of one authorizer, one window per kind and permission set.
 *
 * @internal
 */
export class DenialTiming {
  private readonly windows = new Map<string, TimingWindow>();
  private readonly options: Required<TimingOptions>;

  constructor(
    options: TimingOptions,
    private readonly logger: Logger,
  ) {
    this.options = {
      percentile: options.percentile ?? DEFAULTS.percentile,
      window: options.window ?? DEFAULTS.window,
      maxDelayMs: options.maxDelayMs ?? DEFAULTS.maxDelayMs,
    };
  }

  /**
   * The window of `resourceType` and the permissions asked together, counted from the call or
   * (`lookup`) from the caller's earlier start; none past the key cap.
   */
  of(
    resourceType: string,
    permissions: readonly string[],
    lookup = false,
  ): TimingWindow | undefined {
    const permission = permissions.join("+");
    const key = `${resourceType}#${permission}${lookup ? "@lookup" : ""}`;
    let window = this.windows.get(key);
    if (!window && this.windows.size < MAX_KEYS) {
      window = new TimingWindow(resourceType, permission, lookup, this.options, this.logger);
      this.windows.set(key, window);
    }
    return window;
  }

  stats(): TimingStats[] {
    return [...this.windows.values()].map((w) => w.stats());
  }
}
