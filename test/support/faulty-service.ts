// A small service over a real port and an in-memory table, with faults injected at every step
// of the dual write: for the fault-injection tests of createRegistered, deleteDeregistered and
// reconcile.
import {
  type AuthorizationPort,
  AuthorizationUnavailableError,
  agent,
  apiKey,
  createAuthorizer,
  createRegistered,
  deleteDeregistered,
  type OrphanReport,
  type ReconcileRow,
  user,
} from "../../src/index.js";
import { withOverrides } from "./port-contract.js";

/** A deterministic random source (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Fault = "none" | "before" | "after";

/** Half the failures happen before the step took effect, half after it ("committed, then threw"). */
function fault(random: () => number, rate: number): Fault {
  const r = random();
  return r < rate / 2 ? "before" : r < rate ? "after" : "none";
}

const tick = () => new Promise((r) => setTimeout(r, Math.floor(Math.random() * 3)));

/** The steps still running, so that a run can wait for everything it started. */
class Running {
  private readonly steps = new Set<Promise<unknown>>();
  track<T>(step: Promise<T>): Promise<T> {
    this.steps.add(step);
    const done = () => this.steps.delete(step);
    step.then(done, done);
    return step;
  }
  async settled(): Promise<void> {
    while (this.steps.size > 0) await Promise.allSettled([...this.steps]);
  }
}

/** A {@link faultyPort}: the port, and a way to wait for the writes the authorizer gave up on. */
export type FaultyPort = AuthorizationPort & {
  /** Resolves once every register and deregister made through it has landed or failed. */
  settled(): Promise<void>;
};

/**
 * The port, whose register and deregister fail at `rate`, before or after taking effect.
 *
 * The authorizer's deadline (`timeoutMs`) does not stop a write: past it, the helper reports
 * the write as unknown and moves on while the write runs on and lands later. The call's
 * `signal` is not passed on, so that each call here settles only once its write has landed,
 * and `settled()` waits for them all.
 */
export function faultyPort(
  port: AuthorizationPort,
  random: () => number,
  rate: number,
): FaultyPort {
  const running = new Running();
  const wrap =
    <R>(op: (req: R) => Promise<unknown>) =>
    (req: R) =>
      running.track(
        (async () => {
          const f = fault(random, rate);
          await tick();
          if (f === "before") throw new AuthorizationUnavailableError();
          const result = await op(req);
          if (f === "after") throw new AuthorizationUnavailableError();
          return result as never;
        })(),
      );
  // Delegated method by method: a class's methods (spicedbPort's) are not own properties.
  return {
    ...withOverrides(port, {
      register: wrap((r: Parameters<AuthorizationPort["register"]>[0]) => port.register(r)),
      deregister: wrap((r: Parameters<AuthorizationPort["deregister"]>[0]) => port.deregister(r)),
    }),
    settled: () => running.settled(),
  };
}

/** The table: inserts and deletes fail at `rate`, before or after committing. */
export class FaultyTable {
  readonly rows = new Map<string, ReconcileRow>();
  private readonly running = new Running();
  constructor(
    private readonly random: () => number,
    private readonly rate: number,
  ) {}
  private step(apply: () => void): Promise<void> {
    const f = fault(this.random, this.rate);
    return this.running.track(
      (async () => {
        await tick();
        if (f === "before") throw new Error("db: failed");
        apply();
        if (f === "after") throw new Error("db: connection lost after commit");
      })(),
    );
  }
  /** Resolves once every insert and delete has committed or failed (even one a create gave up on). */
  settled(): Promise<void> {
    return this.running.settled();
  }
  insert(row: ReconcileRow): Promise<void> {
    return this.step(() => this.rows.set(row.id, row));
  }
  delete(id: string): Promise<void> {
    return this.step(() => this.rows.delete(id));
  }
  /** `exists`, which fails at a quarter of the rate. */
  async exists(id: string): Promise<boolean> {
    if (this.random() < this.rate / 4) throw new Error("db: exists failed");
    return this.rows.has(id);
  }
  /** The rows as reconcile reads them: ascending id by bytes. */
  async *sorted(): AsyncGenerator<ReconcileRow> {
    for (const id of [...this.rows.keys()].sort()) {
      const row = this.rows.get(id);
      if (row) yield row;
    }
  }
}

/**
 * Runs `operations` creates and deletes, `concurrency` at a time; returns what was reported,
 * once every write the run started has landed or failed, including those the helpers gave up
 * on (past a deadline): what the stores hold then is all this run will ever leave, so nothing
 * it started can land during a later look, or a later run on the same stores.
 */
export async function runFaultyWorkload(options: {
  port: FaultyPort;
  table: FaultyTable;
  random: () => number;
  operations: number;
  concurrency: number;
}): Promise<OrphanReport[]> {
  const { table, random } = options;
  const reports: OrphanReport[] = [];
  const onOrphan = (r: OrphanReport) => reports.push(r);
  const owner = user("alice");
  const authz = createAuthorizer({ port: options.port, retry: false }).forSubject(owner);
  const created: string[] = [];
  let next = 0;
  const one = async (i: number) => {
    if (created.length > 0 && random() < 0.4) {
      const id = created.splice(Math.floor(random() * created.length), 1)[0] as string;
      await deleteDeregistered(authz, apiKey(id), () => table.delete(id), {
        onOrphan,
        exists: () => table.exists(id),
      }).catch(() => {});
      return;
    }
    const id = `k${String(i).padStart(5, "0")}`;
    const parent = agent("a1");
    await createRegistered(
      authz,
      { resource: apiKey(id), parent },
      () => table.insert({ id, owner, parent }),
      { onOrphan, exists: () => table.exists(id) },
    ).then(
      () => created.push(id),
      () => {},
    );
  };
  while (next < options.operations) {
    const batch = Array.from({ length: options.concurrency }, () => one(next++));
    await Promise.all(batch);
  }
  await Promise.all([options.port.settled(), table.settled()]);
  return reports;
}
