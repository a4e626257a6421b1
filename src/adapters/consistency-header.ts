// The consistency token a client carries in a request header: read only as "at least as fresh
// as this token", so a client can never pick a stronger or weaker consistency than that.
import * as z from "zod/mini";
import { parseOptions } from "../core/options.js";
import type { Consistency } from "../index.js";

/** A header name as HTTP defines one (a token); compared lower-cased, as every framework stores it. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const headerNameSchema = z
  .string({ error: "must be a header name" })
  .check(z.regex(HEADER_NAME, "must be a header name"));

/**
 * @internal Checks the header name when `consistencyFromHeader` is called.
 * @param where - the factory, named in the error: `fgac/express consistencyFromHeader()`
 * @returns the name, lower-cased
 * @throws `ConfigurationError` naming the factory
 */
export function headerNameOption(name: string, where: string): string {
  return parseOptions(where, z.object({ name: headerNameSchema }), { name }).name.toLowerCase();
}

/**
 * @internal The consistency of a request whose header holds `value`: absent, the port's
 * default; present (even empty), `atLeastAsFresh` that token. Whatever the value says
 * (`"fullyConsistent"`, `""`, a forged token), it is only ever a token: the authorizer answers
 * a malformed one, and the port one its backend rejects, with `InvalidConsistencyTokenError` (400).
 */
export function consistencyFromHeaderValue(value: string | undefined): Consistency | undefined {
  return value === undefined ? undefined : { kind: "atLeastAsFresh", token: value };
}
