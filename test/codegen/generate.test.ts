// `fgac generate` as users run it: the committed generated modules (agentex's, the docs
// example's) are its golden files and must be fresh; --check fails on a stale file; the output
// is already formatted; usage and schema errors exit non-zero with a message naming the line.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "fgac-generate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command from the repository's root; collects what it prints. */
async function fgac(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const code = await main(args, { out: (t) => out.push(t), error: (t) => err.push(t) });
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    process.chdir(cwd);
  }
}

/** Biome's formatting of `code` as a TypeScript file of the repository. */
function biomeFormat(code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      join(root, "node_modules/.bin/biome"),
      ["format", "--stdin-file-path=src/generated.ts"],
      { cwd: root },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
    child.stdin?.end(code);
  });
}

// The commands in the generated headers: the golden files are what they write.
const GOLDEN = [
  ["schema/agentex.zed", "src/core/agentex.generated.ts", ["--import", "./resources.js"]],
  ["examples/docs/schema.zed", "examples/docs/authz.ts", []],
] as const;

describe("fgac generate: golden files", () => {
  it.each(GOLDEN)("%s -> %s is fresh (--check) and formatted", async (schema, out, extra) => {
    const result = await fgac("generate", schema, "--out", out, ...extra, "--check");
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    const golden = readFileSync(join(root, out), "utf8");
    expect(golden).toContain(`npx fgac generate ${schema} --out ${out}`);
    expect(await biomeFormat(golden)).toBe(golden);
  });

  it("--check fails on a stale file and on a missing one, naming the command", async () => {
    const stale = join(dir, "stale.ts");
    writeFileSync(
      stale,
      `${readFileSync(join(root, "examples/docs/authz.ts"), "utf8")}// edited\n`,
    );
    const result = await fgac("generate", "examples/docs/schema.zed", "--out", stale, "--check");
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `${stale} is stale: run npx fgac generate examples/docs/schema.zed --out ${stale}`,
    );
    const missing = await fgac(
      "generate",
      "examples/docs/schema.zed",
      "--out",
      join(dir, "none.ts"),
      "--check",
    );
    expect(missing.code).toBe(1);
  });

  it("writes the module, then --check passes; flags are part of the command it names", async () => {
    const out = join(dir, "docs.ts");
    const args = ["generate", "examples/docs/schema.zed", "--out", out, "--owner", "owner"];
    expect((await fgac(...args)).code).toBe(0);
    const written = readFileSync(out, "utf8");
    expect(written).toContain(`--out ${out} --owner owner\n`);
    expect(written).toContain('  ownerRelation: "owner",');
    expect((await fgac(...args, "--check")).code).toBe(0);
  });
});

describe("fgac generate: errors", () => {
  it("a schema error prints file:line and SpiceDB's message, exit 1", async () => {
    const schema = join(dir, "bad.zed");
    writeFileSync(schema, "definition user {}\n\ndefinition doc {\n  relation viewer: usr\n}\n");
    const result = await fgac("generate", schema, "--out", join(dir, "bad.ts"));
    expect(result.code).toBe(1);
    expect(result.err).toMatch(new RegExp(`^${schema}:4: .*object definition \`usr\` not found`));
  });

  it.each([
    [[], /no command/],
    [["make", "s.zed"], /unknown command make/],
    [["generate", "s.zed"], /--out <file.ts> is required/],
    [["generate", "--out", "x.ts"], /name the schema file/],
    [["generate", "s.zed", "--out", "x.ts", "--parent", "doc"], /expected <type>=<relation>/],
    [["generate", "s.zed", "--out", "x.ts", "--frobnicate"], /Unknown option '--frobnicate'/],
  ])("usage %j exits 2 with the usage", async (args, message) => {
    const result = await fgac(...args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err).toContain("Usage: fgac generate");
  });

  it("--help prints the usage, exit 0; an unreadable schema exits 1", async () => {
    const help = await fgac("--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("// fgac:parent");
    const missing = await fgac("generate", join(dir, "nope.zed"), "--out", join(dir, "n.ts"));
    expect(missing).toMatchObject({ code: 1, err: `fgac: cannot read ${join(dir, "nope.zed")}` });
  });
});

describe("agentex's kinds are generated from schema/agentex.zed", () => {
  it("keep their types, messages and read permissions; the port options match", async () => {
    const generated = await import("../../src/core/agentex.generated.js");
    const fgacCore = await import("../../src/index.js");
    const { agentexPortOptions } = await import("../../src/spicedb/index.js");
    expect(fgacCore.agent).toBe(generated.agent);
    expect(fgacCore.apiKey).toBe(generated.apiKey);
    expect(fgacCore.task).toBe(generated.task);
    expect(fgacCore.tenant).toBe(generated.tenant);
    expect(fgacCore.apiKey("k1")).toEqual({ type: "api_key", id: "k1" });
    expect(
      [fgacCore.agent, fgacCore.apiKey, fgacCore.task, fgacCore.tenant].map((k) => [
        k.type,
        k.notFoundMessage,
        k.readPermission,
      ]),
    ).toEqual([
      ["agent", "Agent not found.", "read"],
      ["api_key", "Agent api_key not found.", "read"],
      ["task", "Task not found.", "read"],
      ["tenant", "Tenant not found.", "membership"],
    ]);
    expect(fgacCore.API_KEY_NOT_FOUND_MESSAGE).toBe("Agent api_key not found.");
    expect([...fgacCore.agent.permissions].sort()).toEqual([
      "cancel",
      "create",
      "delete",
      "execute",
      "read",
      "update",
    ]);
    // agentexPortOptions names every parent the generated options do (the schema may add kinds).
    expect(generated.portOptions).toMatchObject(agentexPortOptions);
  });
});
