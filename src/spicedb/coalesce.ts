// Coalesced checks: the checks of one event-loop turn (or a short window) that share a
// consistency requirement go to SpiceDB as one CheckBulkPermissions; each caller its own answer.
import { v1 } from "@authzed/authzed-node";
import { AuthorizationUnavailableError, ConfigurationError } from "../core/errors.js";
import type { Consistency } from "../core/port.js";
import { abortedError, type SpiceDBCalls } from "./calls.js";
import { bulkAnswer, type CheckItem, permissionshipToBoolean, toConsistency } from "./mapping.js";

/** @internal How checks are gathered: the window, and the most questions in one call. */
export interface CoalesceSettings {
  /** 0: the checks of one event-loop turn (flushed by `setImmediate`); else a window in ms. */
  windowMs: number;
  /** Questions per call: a batch this large is sent at once. */
  maxBatch: number;
  /**
   * Calls in flight at once: while this many are, the next batch keeps gathering until one
   * returns (or it is full, or it has waited `maxDeferMs`). Larger batches cost less per
   * question than more calls at once.
   */
  maxInFlight: number;
  /** The longest a due batch waits for a call in flight to return before it is sent anyway. */
  maxDeferMs: number;
}

/** Questions whose callers resume in one event-loop turn when a bulk answer arrives. */
const DELIVERY_SLICE = 8;

/** One caller waiting for an answer. */
interface Waiter {
  resolve(allowed: boolean): void;
  reject(error: unknown): void;
}

/** One distinct question of a batch and everyone who asked it. */
interface Slot {
  item: CheckItem;
  waiters: Set<Waiter>;
}

/** The questions gathered under one consistency requirement, until sent. */
interface Batch {
  key: string;
  consistency: v1.Consistency;
  slots: Map<string, Slot>;
  /** Cancels the flush its window scheduled. */
  cancelTimer: () => void;
  /** Its window has passed, and it waits for a call in flight to return. */
  deferred: ReturnType<typeof setTimeout> | undefined;
  sent: boolean;
  /** Aborted when every caller of a sent batch has left: nothing runs on for nobody. */
  controller: AbortController;
}

/** The batch key of a requirement: checks under different requirements are never merged. */
function consistencyKey(c: Consistency | undefined): string {
  if (c?.kind === "atLeastAsFresh") return `t:${c.token}`;
  return c?.kind === "fullyConsistent" ? "f" : "m";
}

/**
 * The whole question: resource (type, id), permission and subject (type, id, relation). Two
 * questions share an answer only when all of it is the same: `tenant:t1#member`,
 * `tenant:t1#admin` and `user:t1` are three questions.
 */
function questionKey(item: CheckItem): string {
  return JSON.stringify([
    item.resource.objectType,
    item.resource.objectId,
    item.permission,
    item.subject.object?.objectType,
    item.subject.object?.objectId,
    item.subject.optionalRelation,
  ]);
}

/**
 * Gathers concurrent checks into bulk calls. Identical questions of one batch share one answer;
 * each question keeps its own outcome (an error answered for one item fails only its callers);
 * an answer is matched to its question by position and verified against the whole question
 * SpiceDB echoes (else that question fails closed). Nothing is kept once delivered, and an
 * answer is never shared with a question asked after its call was sent: a revocation is seen
 * by the next check. A caller whose signal aborts is rejected at once; the call goes on for the
 * others, and is cancelled when none is left.
 *
 * @internal
 */
export class CheckCoalescer {
  private readonly pending = new Map<string, Batch>();
  private inFlight = 0;

  constructor(
    private readonly calls: SpiceDBCalls,
    private readonly settings: CoalesceSettings,
  ) {}

  /** The answer to `item` under `consistency`, from the next call of its batch. */
  check(
    item: CheckItem,
    consistency: Consistency | undefined,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    const batch = this.batchFor(consistency);
    const key = questionKey(item);
    let slot = batch.slots.get(key);
    if (!slot) {
      slot = { item, waiters: new Set() };
      batch.slots.set(key, slot);
    }
    const answer = this.wait(batch, key, slot, signal);
    if (batch.slots.size >= this.settings.maxBatch) this.flush(batch, true);
    return answer;
  }

  private batchFor(consistency: Consistency | undefined): Batch {
    const key = consistencyKey(consistency);
    const open = this.pending.get(key);
    if (open) return open;
    const batch: Batch = {
      key,
      consistency: toConsistency(consistency),
      slots: new Map(),
      cancelTimer: () => {},
      deferred: undefined,
      sent: false,
      controller: new AbortController(),
    };
    this.pending.set(key, batch);
    const flush = () => this.flush(batch);
    if (this.settings.windowMs > 0) {
      const timer = setTimeout(flush, this.settings.windowMs);
      batch.cancelTimer = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(flush);
      batch.cancelTimer = () => clearImmediate(immediate);
    }
    return batch;
  }

  private wait(
    batch: Batch,
    key: string,
    slot: Slot,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const onAbort = () => {
        slot.waiters.delete(waiter);
        if (slot.waiters.size === 0 && !batch.sent) batch.slots.delete(key);
        if (batch.sent && !this.anyoneWaits(batch)) batch.controller.abort();
        reject(abortedError(signal as AbortSignal));
      };
      const waiter: Waiter = {
        resolve: (allowed) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(allowed);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      slot.waiters.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private anyoneWaits(batch: Batch): boolean {
    for (const slot of batch.slots.values()) if (slot.waiters.size > 0) return true;
    return false;
  }

  /** Sends `batch`, unless calls in flight ask it to wait (a full batch is sent whatever). */
  private flush(batch: Batch, now = false): void {
    if (batch.sent) return;
    if (!now && this.inFlight >= this.settings.maxInFlight) {
      batch.deferred ??= setTimeout(() => this.flush(batch, true), this.settings.maxDeferMs);
      return;
    }
    batch.sent = true;
    if (batch.deferred !== undefined) clearTimeout(batch.deferred);
    if (this.pending.get(batch.key) === batch) this.pending.delete(batch.key);
    batch.cancelTimer();
    const slots = [...batch.slots.values()].filter((s) => s.waiters.size > 0);
    if (slots.length === 0) return;
    this.inFlight += 1;
    void this.send(batch, slots).finally(() => {
      this.inFlight -= 1;
      // The batches that waited for this call go now, oldest first.
      for (const waiting of [...this.pending.values()]) {
        if (waiting.deferred !== undefined) this.flush(waiting);
      }
    });
  }

  private async send(batch: Batch, slots: Slot[]): Promise<void> {
    const { signal } = batch.controller;
    if (slots.length === 1) {
      await this.single(batch.consistency, slots[0] as Slot, signal);
      return;
    }
    let pairs: v1.CheckBulkPermissionsPair[];
    try {
      const response = await this.calls.unary(
        "checkBulkPermissions",
        v1.CheckBulkPermissionsRequest.create({
          consistency: batch.consistency,
          items: slots.map((s) => v1.CheckBulkPermissionsRequestItem.create(s.item)),
        }),
        signal,
      );
      pairs = response?.pairs as v1.CheckBulkPermissionsPair[];
    } catch (error) {
      // A request SpiceDB refused as a whole, when each item is answered on its own otherwise:
      // ask each one alone, so that one caller's bad question fails only that caller.
      if (error instanceof ConfigurationError) {
        await Promise.all(slots.map((s) => this.single(batch.consistency, s, signal)));
      } else {
        for (const slot of slots) settle(slot, () => Promise.reject(error));
      }
      return;
    }
    if (!Array.isArray(pairs) || pairs.length !== slots.length) {
      for (const slot of slots)
        settle(slot, () => Promise.reject(new AuthorizationUnavailableError()));
      return;
    }
    // Every caller resumes when its answer is handed over: a few at a time, one event-loop
    // turn each, so that a large batch does not hold the loop for all of its callers at once.
    for (let i = 0; i < slots.length; i++) {
      if (i > 0 && i % DELIVERY_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
      const slot = slots[i] as Slot;
      settle(slot, async () => bulkAnswer(pairs[i] as v1.CheckBulkPermissionsPair, slot.item));
    }
  }

  /** One question alone, as a CheckPermission (what an uncoalesced check would send). */
  private async single(consistency: v1.Consistency, slot: Slot, signal: AbortSignal) {
    await settle(slot, async () => {
      const response = await this.calls.unary(
        "checkPermission",
        v1.CheckPermissionRequest.create({ ...slot.item, consistency }),
        signal,
      );
      return permissionshipToBoolean(response?.permissionship);
    });
  }
}

/**
 * Hands `answer`'s outcome to everyone still waiting on `slot` when it arrives (a caller who
 * left is gone from it), then forgets them: no answer outlives its delivery.
 */
async function settle(slot: Slot, answer: () => Promise<boolean>): Promise<void> {
  let outcome: { allowed: boolean } | { error: unknown };
  try {
    outcome = { allowed: await answer() };
  } catch (error) {
    outcome = { error };
  }
  const waiters = [...slot.waiters];
  slot.waiters.clear();
  for (const w of waiters) {
    if ("allowed" in outcome) w.resolve(outcome.allowed);
    else w.reject(outcome.error);
  }
}
