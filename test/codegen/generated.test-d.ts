// The generated kinds are typed from the schema: a misspelled permission does not compile, the
// agentex kinds keep their public types, and the port options fit spicedbPort.
import { describe, expectTypeOf, it } from "vitest";
import * as docs from "../../examples/docs/authz.js";
import * as generated from "../../src/core/agentex.generated.js";
import {
  type AgentexPermission,
  agent,
  apiKey,
  defineResource,
  type RequestAuthorizer,
  type Resource,
  type ResourceKind,
} from "../../src/index.js";
import type { SpiceDBPortOptions, VerifySchemaOptions } from "../../src/spicedb/index.js";

declare const authz: RequestAuthorizer;

describe("generated kinds", () => {
  it("a schema permission compiles, a misspelled one does not", () => {
    void authz.check(docs.document("d1"), "view");
    void authz.checkOrNotFound(docs.folder("f1"), "edit");
    // @ts-expect-error "veiw" is not a permission of document
    void authz.check(docs.document("d1"), "veiw");
    // @ts-expect-error "read" is not a permission of document: the schema has none
    void authz.can(docs.document("d1"), "read");
    // @ts-expect-error "edti" is not a permission of folder
    void authz.authorizedIds(docs.folder, "edti");
    expectTypeOf(docs.document("d1")).toEqualTypeOf<
      Resource<"document", "edit" | "view" | "delete">
    >();
    expectTypeOf(docs.document.readPermission).toEqualTypeOf<
      "edit" | "view" | "delete" | undefined
    >();
  });

  it("agentex's kinds keep their public types, and are the generated ones", () => {
    expectTypeOf(generated.agent).toEqualTypeOf<ResourceKind<"agent", AgentexPermission>>();
    expectTypeOf(generated.apiKey).toEqualTypeOf<ResourceKind<"api_key", AgentexPermission>>();
    expectTypeOf(agent).toEqualTypeOf<ResourceKind<"agent", AgentexPermission>>();
    expectTypeOf(apiKey).toEqualTypeOf<ResourceKind<"api_key", AgentexPermission>>();
    // @ts-expect-error tenant_gate is fgac:internal in the schema
    void authz.check(generated.agent("a1"), "tenant_gate");
  });

  it("a relation-only definition is a kind no permission compiles on", () => {
    // What fgac generate writes for `definition group { relation member: user }`:
    const group = defineResource<"group", never>("group", {
      notFoundMessage: "Group not found.",
      permissions: [],
      readPermission: null,
    });
    // @ts-expect-error no permission at all
    void authz.check(group("g1"), "member");
  });

  it("the generated port options and kind lists fit spicedbPort and verifySchema", () => {
    expectTypeOf(docs.portOptions).toExtend<SpiceDBPortOptions>();
    expectTypeOf(generated.portOptions).toExtend<SpiceDBPortOptions>();
    const options: VerifySchemaOptions = {
      resources: docs.resourceKinds,
      subjects: docs.subjectKinds,
      portOptions: docs.portOptions,
    };
    void options;
  });
});
