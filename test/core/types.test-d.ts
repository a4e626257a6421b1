import { describe, expectTypeOf, it } from "vitest";
import {
  agent,
  apiKey,
  createAuthorizer,
  defineResource,
  type RequestAuthorizer,
  type Resource,
} from "../../src/index.js";
import { memoryPort } from "../../src/testing/index.js";

declare const authz: RequestAuthorizer;

describe("permission typing", () => {
  it("a declared permission compiles, a wrong one does not", () => {
    const doc = defineResource("document", { permissions: ["read", "write"] as const });
    expectTypeOf(doc("d1")).toEqualTypeOf<Resource<"document", "read" | "write">>();
    void authz.check(doc("d1"), "read");
    void authz.can(doc("d1"), "write");
    // @ts-expect-error "delete" is not a permission of document
    void authz.check(doc("d1"), "delete");
    // @ts-expect-error typo
    void authz.checkOrNotFound(apiKey("k1"), "reed");
    void authz.checkOrNotFound(apiKey("k1"), "delete");
    void authz.authorizedIds(agent, "read");
    // @ts-expect-error not an agent permission
    void authz.authorizedIds(agent, "fly");
    void authz.authorizedIds(apiKey, "read", { parent: agent("a1") });
    // @ts-expect-error a parent is a resource, not an id
    void authz.authorizedIds(apiKey, "read", { parent: "a1" });
    void authz.canMany([doc("d1"), doc("d2")], "write");
    // @ts-expect-error "delete" is not a permission of document
    void authz.canMany([doc("d1")], "delete");
  });

  it("a kind without declared permissions accepts any string", () => {
    const loose = defineResource("loose_thing");
    void authz.check(loose("x"), "anything");
  });

  it("check resolves to void (denial throws); can to boolean", () => {
    expectTypeOf(authz.check(apiKey("k"), "read")).toEqualTypeOf<Promise<void>>();
    expectTypeOf(authz.can(apiKey("k"), "read")).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(authz.canMany([apiKey("k")], "read")).toEqualTypeOf<Promise<boolean[]>>();
    expectTypeOf(authz.authorizedIds(apiKey)).toEqualTypeOf<Promise<string[] | null>>();
  });

  it("createAuthorizer takes a port", () => {
    createAuthorizer({ port: memoryPort() });
    // @ts-expect-error unknown collapse policy
    createAuthorizer({ port: memoryPort(), collapse: "never" });
  });
});
