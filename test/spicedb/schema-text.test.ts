// readSchemaText: the shape SpiceDB's ReadSchema answers (one statement per line, comments
// above what they describe, caveat bodies skipped), and a line named for any other shape.
import { describe, expect, it } from "vitest";
import { readSchemaText, SchemaTextError } from "../../src/spicedb/schema-text.js";

const CANONICAL = `use expiration

// a caveat
caveat on_network(cidr string, ip ipaddress) {
\tip.in_cidr(cidr)
}

/** A team. */
// fgac:not-found Team not found.
definition org/team {
\t// fgac:parent
\trelation org: org/organization
\trelation member: org/user | org/user:* | org/user with on_network

\t/**
\t * Who sees it.
\t */
\tpermission view = member + org->admin
}

definition org/user {}
`;

describe("readSchemaText", () => {
  it("reads definitions, their relations, permissions and comments; skips caveats", () => {
    expect(readSchemaText(CANONICAL)).toEqual([
      {
        name: "org/team",
        comments: ["/** A team. */", "// fgac:not-found Team not found."],
        relations: [
          { name: "org", comments: ["// fgac:parent"] },
          { name: "member", comments: [] },
        ],
        permissions: [{ name: "view", comments: ["/**\n* Who sees it.\n*/"] }],
      },
      { name: "org/user", comments: [], relations: [], permissions: [] },
    ]);
  });

  it.each([
    ["definition doc {\n\tpermission view viewer\n}", 2],
    ["definition doc {\n\trelation viewer: user\n", 3],
    ["something else", 1],
    ["caveat c(a int) {\n\ta == 1\n", 1],
    ["/** never closed\ndefinition doc {}", 1],
  ])("names the line of another shape: %j", (text, line) => {
    let error: unknown;
    try {
      readSchemaText(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaTextError);
    expect((error as SchemaTextError).line).toBe(line);
  });
});
