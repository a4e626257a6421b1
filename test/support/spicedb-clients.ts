// Wrapped SpiceDB clients for the spicedb tests: promise methods replaced, the consistency of
// each bulk check recorded, and port options that read what other ports wrote.
import { agentexPortOptions, type SpiceDBClient } from "../../src/spicedb/index.js";

/**
 * Options for a new port over the shared client that reads what other ports wrote: a port that
 * has not written reads at minimizeLatency, which may be from before the seed.
 */
export const FRESH_READS = {
  ...agentexPortOptions,
  consistency: { kind: "fullyConsistent" },
} as const;

/** The real client with some of its promise methods replaced. */
export function withPromises(
  real: SpiceDBClient,
  promises: Partial<SpiceDBClient["promises"]>,
): SpiceDBClient {
  return {
    ...real,
    lookupResources: real.lookupResources,
    promises: { ...real.promises, ...promises },
  };
}

/** The real client, recording the consistency each bulk check carried as `kind:token`. */
export function recordingConsistency(real: SpiceDBClient): {
  client: SpiceDBClient;
  sent: string[];
} {
  const sent: string[] = [];
  const client = withPromises(real, {
    checkBulkPermissions: (r) => {
      const requirement = r.consistency?.requirement;
      const token =
        requirement?.oneofKind === "atLeastAsFresh" ? requirement.atLeastAsFresh.token : "";
      sent.push(`${requirement?.oneofKind}:${token}`);
      return real.promises.checkBulkPermissions(r);
    },
  });
  return { client, sent };
}

/** What one LookupResources stream did: messages received, and its final gRPC status. */
export interface ObservedStream {
  received: number;
  /** Resolves with the stream's first message. */
  firstData: Promise<void>;
  /** Resolves with the stream's final status code (0 OK, 1 CANCELLED, ...). */
  status: Promise<number>;
}

/** The real client, recording what each LookupResources stream it opens does. */
export function observedLookups(real: SpiceDBClient): {
  client: SpiceDBClient;
  streams: ObservedStream[];
} {
  const streams: ObservedStream[] = [];
  const lookupResources = ((request: never, options: never) => {
    const stream = real.lookupResources(request, options);
    let first: () => void = () => {};
    let done: (code: number) => void = () => {};
    const observed: ObservedStream = {
      received: 0,
      firstData: new Promise<void>((resolve) => {
        first = resolve;
      }),
      status: new Promise<number>((resolve) => {
        done = resolve;
      }),
    };
    stream.on("data", () => {
      observed.received += 1;
      first();
    });
    stream.on("status", (s: { code: number }) => done(s.code));
    streams.push(observed);
    return stream;
  }) as SpiceDBClient["lookupResources"];
  return { client: { ...real, promises: real.promises, lookupResources }, streams };
}

/** The real client, counting the calls made through it by method name. */
export function countingCalls(real: SpiceDBClient): {
  client: SpiceDBClient;
  calls: Record<string, number>;
} {
  const calls: Record<string, number> = {};
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  const promises = Object.fromEntries(
    Object.entries(real.promises).map(([name, f]) => [
      name,
      (r: never) => {
        count(name);
        return (f as (r: never) => unknown)(r);
      },
    ]),
  ) as unknown as SpiceDBClient["promises"];
  const lookupResources = ((request: never, options: never) => {
    count("lookupResources");
    return real.lookupResources(request, options);
  }) as SpiceDBClient["lookupResources"];
  return { client: { ...real, promises, lookupResources }, calls };
}

/** The real client, recording each ReadRelationships call: the limit asked and the rows answered. */
export function recordingReads(real: SpiceDBClient): {
  client: SpiceDBClient;
  reads: Array<{ limit: number; rows: number }>;
} {
  const reads: Array<{ limit: number; rows: number }> = [];
  const client = withPromises(real, {
    readRelationships: async (r) => {
      const rows = await real.promises.readRelationships(r);
      reads.push({ limit: r.optionalLimit, rows: rows.length });
      return rows;
    },
  });
  return { client, reads };
}
