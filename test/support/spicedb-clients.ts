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
