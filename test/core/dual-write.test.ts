import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AuthorizationUnavailableError,
  agent,
  apiKey,
  ConflictError,
  createAuthorizer,
  createRegistered,
  deleteDeregistered,
  UnauthenticatedError,
  user,
} from "../../src/index.js";
import { agentexPortOptions, type EmbeddedSpiceDB, spicedbPort } from "../../src/spicedb/index.js";
import { memoryPort, recordingLogger } from "../../src/testing/index.js";
import { edgesOf, startAgentex } from "../support/agentex-world.js";
import { uid, withOverrides } from "../support/port-contract.js";

let db: EmbeddedSpiceDB;
beforeAll(async () => {
  db = await startAgentex();
});
afterAll(() => db.close());

describe("createRegistered", () => {
  it("registers with the parent before writing", async () => {
    const authz = createAuthorizer({ port: db.port }).forSubject(user("alice"));
    const k = apiKey(uid("k"));
    const order: string[] = [];
    const row = await createRegistered(authz, { resource: k, parent: agent("a1") }, async () => {
      order.push(`write saw edges: ${(await edgesOf(db, "agent_api_key", k.id)).join(",")}`);
      return { id: k.id };
    });
    expect(row).toEqual({ id: k.id });
    expect(order).toEqual(["write saw edges: owner@user:alice,parent_agent@agent:a1"]);
    expect(await authz.can(k, "delete")).toBe(true);
  });

  it("the write receives the register's token, good for reading it back elsewhere", async () => {
    const authz = createAuthorizer({ port: db.port }).forSubject(user("alice"));
    const k = apiKey(uid("k"));
    const row = await createRegistered(authz, { resource: k, parent: agent("a1") }, (r) => ({
      id: k.id,
      authzToken: r.token,
    }));
    expect(row.authzToken).toMatch(/^[A-Za-z0-9+/=_-]+$/);
    // Another process's port, reading at the token kept in the row.
    const elsewhere = createAuthorizer({
      port: spicedbPort({ client: db.client }, agentexPortOptions),
    }).forSubject(user("alice"), {
      consistency: { kind: "atLeastAsFresh", token: row.authzToken! },
    });
    expect(await elsewhere.can(k, "delete")).toBe(true);
  });

  it("register fails: nothing is written", async () => {
    const port = withOverrides(db.port, {
      register: async () => Promise.reject(new Error("down")),
    });
    const authz = createAuthorizer({ port }).forSubject(user("alice"));
    const write = vi.fn(async () => "row");
    await expect(
      createRegistered(authz, { resource: apiKey(uid("k")), parent: agent("a1") }, write),
    ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(write).not.toHaveBeenCalled();
  });

  it("register times out: nothing is written, and the edges that land late are reported", async () => {
    const logger = recordingLogger();
    // The real register, landing after the authorizer's deadline has passed.
    let landed: Promise<unknown> = Promise.resolve();
    const port = withOverrides(db.port, {
      register: (req) => {
        landed = new Promise((r) => setTimeout(r, 100)).then(() => db.port.register(req));
        return landed as never;
      },
    });
    const authz = createAuthorizer({ port, logger, timeoutMs: 20 }).forSubject(user("alice"));
    const k = apiKey(uid("k"));
    const onOrphan = vi.fn();
    const write = vi.fn(async () => "row");
    await expect(
      createRegistered(authz, { resource: k, parent: agent("a1") }, write, { onOrphan }),
    ).rejects.toBeInstanceOf(AuthorizationUnavailableError);
    expect(write).not.toHaveBeenCalled();
    expect(onOrphan).toHaveBeenCalledWith(
      expect.objectContaining({ resource: k, phase: "register" }),
    );
    expect(
      logger.entries.some(
        (e) => e.level === "warn" && e.obj["fgac"] === "register" && e.obj["resourceId"] === k.id,
      ),
    ).toBe(true);
    expect(logger.text()).not.toContain("alice");
    // Why it is reported: the edges did land, with no row behind them.
    await landed;
    expect(await edgesOf(db, "agent_api_key", k.id)).toHaveLength(2);
  });

  it("register refused (conflict, no subject): nothing is reported", async () => {
    const onOrphan = vi.fn();
    const k = apiKey(uid("k"));
    await db.port.register({ subject: user("bob"), resource: k, parent: agent("a1") });
    const alice = createAuthorizer({ port: db.port }).forSubject(user("alice"));
    await expect(
      createRegistered(alice, { resource: k, parent: agent("a1") }, async () => "row", {
        onOrphan,
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(onOrphan).not.toHaveBeenCalled();
  });

  it("no subject: UnauthenticatedError and nothing is written (no entry-less rows)", async () => {
    const authz = createAuthorizer({ port: db.port }).forSubject(null);
    const write = vi.fn(async () => "row");
    await expect(
      createRegistered(authz, { resource: apiKey(uid("k")) }, write),
    ).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(write).not.toHaveBeenCalled();
  });

  it("write fails: the registration is compensated and the write error rethrown", async () => {
    const authz = createAuthorizer({ port: db.port }).forSubject(user("alice"));
    const k = apiKey(uid("k"));
    const insertError = new Error("unique violation");
    await expect(
      createRegistered(authz, { resource: k, parent: agent("a1") }, async () => {
        throw insertError;
      }),
    ).rejects.toBe(insertError);
    expect(await edgesOf(db, "agent_api_key", k.id)).toEqual([]);
  });

  it("write fails and compensation fails: orphan logged and reported, write error rethrown", async () => {
    const logger = recordingLogger();
    const port = withOverrides(db.port, {
      deregister: async () => Promise.reject(new Error("down")),
    });
    const authz = createAuthorizer({ port, logger }).forSubject(user("alice"));
    const k = apiKey(uid("k"));
    const onOrphan = vi.fn();
    const insertError = new Error("insert failed");
    await expect(
      createRegistered(
        authz,
        { resource: k, parent: agent("a1") },
        () => Promise.reject(insertError),
        { onOrphan },
      ),
    ).rejects.toBe(insertError);
    expect(onOrphan).toHaveBeenCalledWith(
      expect.objectContaining({ resource: k, phase: "compensate" }),
    );
    expect(
      logger.entries.some((e) => e.msg?.includes("orphaned") && e.obj["resourceId"] === k.id),
    ).toBe(true);
    expect(logger.text()).not.toContain("alice");
  });
});

describe("deleteDeregistered", () => {
  it("removes, then deregisters", async () => {
    const authz = createAuthorizer({ port: db.port }).forSubject(user("alice"));
    const k = apiKey(uid("k"));
    await authz.register(k, { parent: agent("a1") });
    const seen: string[][] = [];
    const result = await deleteDeregistered(authz, k, async () => {
      seen.push(await edgesOf(db, "agent_api_key", k.id));
      return 1;
    });
    expect(result).toBe(1);
    expect(seen[0]).toHaveLength(2); // still registered while the row is deleted
    expect(await edgesOf(db, "agent_api_key", k.id)).toEqual([]);
  });

  it("remove fails: nothing is deregistered", async () => {
    const authz = createAuthorizer({ port: db.port }).forSubject(user("alice"));
    const k = apiKey(uid("k"));
    await authz.register(k, { parent: agent("a1") });
    await expect(
      deleteDeregistered(authz, k, () => Promise.reject(new Error("db down"))),
    ).rejects.toThrow("db down");
    expect(await edgesOf(db, "agent_api_key", k.id)).toHaveLength(2);
  });

  it("deregister fails: the delete still succeeds, the orphan is logged and reported", async () => {
    const logger = recordingLogger();
    const port = withOverrides(db.port, {
      deregister: async () => Promise.reject(new Error("down")),
    });
    const authz = createAuthorizer({ port, logger }).forSubject(user("alice"));
    const onOrphan = vi.fn(() => {
      throw new Error("hook bug"); // a failing hook must not fail the delete either
    });
    await expect(
      deleteDeregistered(authz, apiKey("k-alice"), async () => "deleted", { onOrphan }),
    ).resolves.toBe("deleted");
    expect(onOrphan).toHaveBeenCalledWith(
      expect.objectContaining({ phase: "delete", resource: apiKey("k-alice") }),
    );
    const line = logger.entries.find((e) => e.msg?.includes("orphaned"));
    expect(line?.level).toBe("warn");
    expect(line?.obj).toMatchObject({
      resourceType: "api_key",
      resourceId: "k-alice",
      error: "authorization_unavailable",
    });
  });
});

describe("outcomes the database cannot always tell", () => {
  const setup = () => ({
    authz: createAuthorizer({ port: db.port }).forSubject(user("alice")),
    k: apiKey(uid("k")),
    onOrphan: vi.fn(),
    error: new Error("connection lost after COMMIT"),
  });

  it("insert threw but its row landed (exists): the registration is kept, nothing reported", async () => {
    const { authz, k, onOrphan, error } = setup();
    const write = () => Promise.reject(error);
    await expect(
      createRegistered(authz, { resource: k, parent: agent("a1") }, write, {
        onOrphan,
        exists: () => true,
      }),
    ).rejects.toBe(error);
    expect(await edgesOf(db, "agent_api_key", k.id)).toHaveLength(2);
    expect(onOrphan).not.toHaveBeenCalled();
  });

  it("insert threw and exists says no row: compensated, nothing reported", async () => {
    const { authz, k, onOrphan, error } = setup();
    await expect(
      createRegistered(authz, { resource: k }, () => Promise.reject(error), {
        onOrphan,
        exists: async () => false,
      }),
    ).rejects.toBe(error);
    expect(await edgesOf(db, "agent_api_key", k.id)).toEqual([]);
    expect(onOrphan).not.toHaveBeenCalled();
  });

  it("insert threw and exists failed: kept (the row may be there), reported as write", async () => {
    const { authz, k, onOrphan, error } = setup();
    const exists = () => Promise.reject(new Error("db down"));
    await expect(
      createRegistered(authz, { resource: k }, () => Promise.reject(error), { onOrphan, exists }),
    ).rejects.toBe(error);
    expect(await edgesOf(db, "agent_api_key", k.id)).toHaveLength(1);
    expect(onOrphan).toHaveBeenCalledWith(expect.objectContaining({ resource: k, phase: "write" }));
  });

  it("insert threw, no exists: compensated and reported, since a committed row is now bare", async () => {
    const { authz, k, onOrphan, error } = setup();
    await expect(
      createRegistered(authz, { resource: k }, () => Promise.reject(error), { onOrphan }),
    ).rejects.toBe(error);
    expect(await edgesOf(db, "agent_api_key", k.id)).toEqual([]);
    expect(onOrphan).toHaveBeenCalledWith(expect.objectContaining({ resource: k, phase: "write" }));
  });

  it("an insert past writeTimeoutMs is a failure of unknown outcome", async () => {
    const { authz, k, onOrphan } = setup();
    const slow = () => new Promise((r) => setTimeout(r, 1000));
    await expect(
      createRegistered(authz, { resource: k }, slow, { onOrphan, writeTimeoutMs: 20 }),
    ).rejects.toThrow();
    expect(onOrphan).toHaveBeenCalledWith(expect.objectContaining({ resource: k, phase: "write" }));
  });

  it("an insert past writeTimeoutMs that exists() does not see yet: compensated and reported, since it may still land", async () => {
    const port = memoryPort();
    const authz = createAuthorizer({ port }).forSubject(user("alice"));
    const k = apiKey("k-late");
    const onOrphan = vi.fn();
    const rows = new Set<string>();
    // The insert is still running when the create gives up on it; it commits afterwards.
    let commit: () => void = () => {};
    const insert = () =>
      new Promise<void>((resolve) => {
        commit = () => {
          rows.add(k.id);
          resolve();
        };
      });
    await expect(
      createRegistered(authz, { resource: k }, insert, {
        onOrphan,
        exists: () => rows.has(k.id),
        writeTimeoutMs: 10,
      }),
    ).rejects.toThrow();
    commit();
    // What is left: a row with no registration. The create must have said so.
    expect(rows.has(k.id)).toBe(true);
    expect((await port.registrations({ resourceType: "api_key", limit: 10 })).items).toEqual([]);
    expect(onOrphan).toHaveBeenCalledWith(expect.objectContaining({ resource: k, phase: "write" }));
  });

  it("delete threw after committing (exists says gone): deregistered all the same", async () => {
    const { authz, k, onOrphan, error } = setup();
    await authz.register(k, { parent: agent("a1") });
    await expect(
      deleteDeregistered(authz, k, () => Promise.reject(error), { onOrphan, exists: () => false }),
    ).rejects.toBe(error);
    expect(await edgesOf(db, "agent_api_key", k.id)).toEqual([]);
    expect(onOrphan).not.toHaveBeenCalled();
  });

  it("delete threw and its outcome is unknown: kept, reported as remove", async () => {
    const { authz, k, onOrphan, error } = setup();
    await authz.register(k, { parent: agent("a1") });
    await expect(
      deleteDeregistered(authz, k, () => Promise.reject(error), { onOrphan }),
    ).rejects.toBe(error);
    expect(await edgesOf(db, "agent_api_key", k.id)).toHaveLength(2);
    expect(onOrphan).toHaveBeenCalledWith(
      expect.objectContaining({ resource: k, phase: "remove" }),
    );
  });
});
