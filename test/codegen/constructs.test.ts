// Every schema construct SpiceDB accepts either generates or fails with a message naming the
// line: caveats, wildcards, arrows, intersections, exclusions, comments, nested names.
import { describe, expect, it } from "vitest";
import { generate } from "../../src/cli/generate.js";
import { SchemaError } from "../../src/cli/source.js";

const OPTIONS = { schemaPath: "schema.zed", command: "npx fgac generate schema.zed --out x.ts" };

/** The generated module, or the error's line and message. */
async function run(schema: string, options = {}) {
  try {
    return { code: await generate(schema, { ...OPTIONS, ...options }) };
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    return { line: error.line, message: error.message };
  }
}

describe("constructs that generate", () => {
  it("caveats, expiration, wildcards, arrows, intersections, exclusions, nil", async () => {
    const { code } = await run(`use expiration

caveat on_network(ip ipaddress, cidr string) {
  ip.in_cidr(cidr) && cidr != "//not-a-comment"
}

definition user {}

definition folder {
  relation viewer: user | user:* | user with on_network | user with expiration
  relation banned: user
  relation parent: folder
  permission view = (viewer + parent->view) - banned
  permission strict = viewer & parent.all(view)
  permission loose = parent.any(view)
  permission nobody = nil
}`);
    expect(code).toContain('export const folder = defineResource("folder", {');
    expect(code).toContain(
      'permissions: ["view", "strict", "loose", "nobody"] as const,\n  readPermission: "view",',
    );
    expect(code).toContain('export const user = defineSubject("user");');
    expect(code).not.toContain("on_network"); // a caveat is no kind
  });

  it("nested definition names become camelCase exports that keep the schema's type", async () => {
    const { code } = await run(`definition acme/user {}
definition acme/org_team {
  relation member: acme/user
  permission read = member
}`);
    expect(code).toContain('export const acmeOrgTeam = defineResource("acme/org_team", {');
    expect(code).toContain('export const acmeUser = defineSubject("acme/user");');
  });

  it("comments of every kind; doc comments become the kinds' TSDoc", async () => {
    const { code } = await run(`// a line comment
/* a block comment */
definition user {} // trailing

/**
 * A report,
 * whose prose lines join.
 *
 * - a list item keeps its line
 */
definition report {
  relation owner: user // trailing
  /* before a permission */ permission view = owner
  // fgac:read
  permission see = owner
}`);
    expect(code).toContain(
      "/**\n * `report`: A report, whose prose lines join.\n *\n * - a list item keeps its line\n */",
    );
    expect(code).toContain('readPermission: "see"');
  });

  it("a definition with relations but no permissions is a kind on which no permission compiles", async () => {
    const { code } = await run(
      "definition user {}\ndefinition group {\n  relation member: user\n}",
    );
    expect(code).toContain('export const group = defineResource<"group", never>("group", {');
    expect(code).toContain("permissions: [],\n  readPermission: null,");
  });

  it("readPermission: read, else view, else none", async () => {
    const { code } = await run(`definition user {}
definition a_doc {
  relation reader: user
  permission view = reader
  permission read = reader
}
definition b_doc {
  relation reader: user
  permission view = reader
}
definition c_doc {
  relation reader: user
  permission edit = reader
}`);
    expect(code).toMatch(/aDoc = [^;]*readPermission: "read"/);
    expect(code).toMatch(/bDoc = [^;]*readPermission: "view"/);
    expect(code).toMatch(/cDoc = [^;]*readPermission: null/);
  });
});

describe("constructs that fail, naming the line", () => {
  it.each([
    [
      "a syntax error (SpiceDB's own message)",
      "definition user {}\n\ndefinition doc {\n  relation viewer: user\n  permission view = viewer +\n}",
      6,
      /column 1: .*Expected right hand expression/,
    ],
    [
      "an unknown type",
      "definition user {}\ndefinition doc {\n  relation viewer: usr\n}",
      3,
      /object definition `usr` not found/,
    ],
    [
      "an unknown relation in an expression",
      "definition user {}\ndefinition doc {\n  relation viewer: user\n  permission view = viewr\n}",
      4,
      /`viewr` not found under definition `doc`/,
    ],
    [
      "a duplicate permission",
      "definition user {}\ndefinition doc {\n  relation viewer: user\n  permission view = viewer\n  permission view = viewer\n}",
      5,
      /duplicate relation\/permission name `view`/,
    ],
    ["a definition named twice", "definition user {}\ndefinition user {}", 2, /name reused/],
  ])("%s", async (_label, schema, line, message) => {
    const error = await run(schema);
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
  });

  it.each([
    [
      "two definitions exported under one name",
      "definition user {}\ndefinition org/team {\n  relation member: user\n}\ndefinition org_team {\n  relation member: user\n}",
      5,
      /org_team and org\/team \(line 2\) would both be exported as orgTeam/,
    ],
    [
      "a definition exported under a reserved word",
      "definition user {}\ndefinition delete {\n  relation mmm: user\n}",
      2,
      /delete would be exported as delete/,
    ],
    [
      "a definition exported under the module's own name",
      "definition user {}\ndefinition port_options {\n  relation mmm: user\n}",
      2,
      /exported as portOptions/,
    ],
    [
      "a directive after code on its line",
      "definition user {}\ndefinition doc {\n  relation parent: doc // fgac:parent\n}",
      3,
      /must stand on its own line/,
    ],
    [
      "a directive above a closing brace",
      "definition user {}\ndefinition doc {\n  relation viewer: user\n  // fgac:read\n}",
      4,
      /must stand on its own line, directly above/,
    ],
    [
      "an unknown directive",
      "definition user {}\n// fgac:parnet\ndefinition doc {\n  relation viewer: user\n}",
      2,
      /unknown directive fgac:parnet/,
    ],
    [
      "a directive on the wrong statement",
      "definition user {}\ndefinition doc {\n  relation viewer: user\n  // fgac:parent\n  permission view = viewer\n}",
      4,
      /fgac:parent marks a relation, not a permission/,
    ],
    [
      "a directive missing its argument",
      "definition user {}\n// fgac:type\ndefinition doc {\n  relation viewer: user\n}",
      2,
      /fgac:type needs an argument/,
    ],
    [
      "two parents",
      "definition user {}\ndefinition doc {\n  // fgac:parent\n  relation a_parent: doc\n  // fgac:parent\n  relation b_parent: doc\n}",
      5,
      /a second fgac:parent in doc/,
    ],
  ])("%s", async (_label, schema, line, message) => {
    const error = await run(schema);
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
  });

  it("a --parent flag naming no relation names the definition's line", async () => {
    const error = await run("definition user {}\n\ndefinition doc {\n  relation viewer: user\n}", {
      parents: { doc: "folder" },
    });
    expect(error).toEqual({ line: 3, message: "--parent doc=folder: doc has no relation folder" });
  });
});
