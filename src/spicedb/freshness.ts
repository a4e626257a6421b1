// Read-your-writes: the consistency that makes a port's reads see every write it completed,
// and the one requirement that satisfies every request of a bulk call.
import { AuthorizationUnavailableError } from "../core/errors.js";
import type { Consistency, WriteResult } from "../core/port.js";
import { newerOf } from "./zedtoken.js";

/**
 * The requirement that makes a read see every write this port has completed (read-your-writes).
 * A write that started after the last one completed is newer than all of them, and its token
 * covers them all. When writes overlap, their tokens decide if both carry integer revisions of
 * one datastore ({@link newerOf}); otherwise, or when a write failed with an unknown outcome, no
 * token is known to cover every write, and reads are fully consistent until a later write
 * settles it. (Taking the last token to arrive would let a read miss a newer write, or see a
 * revoked edge.)
 *
 * @internal
 */
export class Freshness {
  private clock = 0;
  private lastSettled = 0;
  private token: string | undefined;
  private unsettled = false;

  /** @param seenToken - a write made before the port existed, which reads must see */
  constructor(seenToken: string | undefined) {
    this.token = seenToken;
  }

  /**
   * Runs one write, noting when it started and the token it wrote at (`writtenAt` of its answer).
   *
   * @param write - the call; its errors must already be the library's (`callSpiceDB`)
   * @returns the write's token, if SpiceDB answered one
   */
  async track<T>(
    write: () => Promise<T>,
    writtenAt: (response: T) => string | undefined,
  ): Promise<WriteResult> {
    const started = this.start();
    let response: T;
    try {
      response = await write();
    } catch (error) {
      // Unavailable (a timeout, a dropped connection): the write may have landed.
      if (error instanceof AuthorizationUnavailableError) this.unknown();
      throw error;
    }
    const token = writtenAt(response) || undefined;
    this.settle(started, token);
    return token ? { token } : {};
  }

  /** Marks a write's start; pass the result to {@link Freshness.settle}. */
  private start(): number {
    this.clock += 1;
    return this.clock;
  }

  /** A write that started at `started` completed at `token`. */
  private settle(started: number, token: string | undefined): void {
    const newerThanAll = started > this.lastSettled;
    this.clock += 1;
    this.lastSettled = this.clock;
    if (token && newerThanAll) {
      this.token = token;
      this.unsettled = false;
      return;
    }
    // Overlapping writes on a datastore whose revisions are integers (such as the memory
    // datastore): the tokens themselves say which is newer.
    const newer = token && !this.unsettled && this.token ? newerOf(token, this.token) : undefined;
    if (newer) {
      this.token = newer;
    } else {
      this.unsettled = true;
      this.token = token ?? this.token;
    }
  }

  /** A write failed in a way that may have written. */
  private unknown(): void {
    this.clock += 1;
    this.lastSettled = this.clock;
    this.unsettled = true;
  }

  /** Undefined before any write (the caller's default, `minimizeLatency`, applies). */
  requirement(): Consistency | undefined {
    if (this.unsettled) return { kind: "fullyConsistent" };
    return this.token ? { kind: "atLeastAsFresh", token: this.token } : undefined;
  }
}

/**
 * One requirement serves a whole bulk call, so it must satisfy every request in it: the
 * strongest among `wanted`, and `fullyConsistent` when two different tokens are wanted (tokens
 * are opaque, so neither is known to be the fresher). Undefined when none wants one.
 *
 * @internal
 */
export function strongest(wanted: readonly (Consistency | undefined)[]): Consistency | undefined {
  let result: Consistency | undefined;
  for (const c of wanted) {
    if (!c) continue;
    if (c.kind === "fullyConsistent") return c;
    if (c.kind === "atLeastAsFresh") {
      if (result?.kind === "atLeastAsFresh" && result.token !== c.token)
        return { kind: "fullyConsistent" };
      result = c;
    } else if (!result) {
      result = c;
    }
  }
  return result;
}
