// ZedTokens built by hand for the tests, as SpiceDB encodes them, with any revision string and
// datastore: integer revisions, HLCs, Postgres snapshots.

/** A ZedToken as SpiceDB encodes it: `DecodedZedToken { v1: { revision, datastore prefix } }`. */
export function zedToken(revision: string, datastore: string): string {
  const field = (n: number, bytes: Buffer) =>
    Buffer.concat([Buffer.from([(n << 3) | 2, bytes.length]), bytes]);
  const v1 = Buffer.concat([field(1, Buffer.from(revision)), field(2, Buffer.from(datastore))]);
  return field(3, v1).toString("base64");
}
