// docs/your-own-schema.md as a user follows it: its schema, `fgac generate`, then its code,
// type-checked and run as written.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));

describe("docs/your-own-schema.md", () => {
  it("its schema generates, and its code type-checks and prints what it says", async () => {
    const guide = readFileSync(join(root, "docs/your-own-schema.md"), "utf8");
    const schema = /## 1\. The schema[\s\S]*?```text\n([\s\S]*?)```/.exec(guide)?.[1];
    const code = /## 3\. Start, verify, use\s+```ts\n([\s\S]*?)```/.exec(guide)?.[1];
    expect(schema).toContain("definition document");
    expect(code).toContain('from "./authz.js"');
    const dir = mkdtempSync(join(tmpdir(), "fgac-guide-"));
    const cwd = process.cwd();
    try {
      mkdirSync(join(dir, "schema"));
      writeFileSync(join(dir, "schema/authz.zed"), schema ?? "");
      writeFileSync(join(dir, "main.mts"), code ?? "");
      writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
      process.chdir(dir);
      const quiet = { out: () => {}, error: (t: string) => expect.fail(t) };
      expect(await main(["generate", "schema/authz.zed", "--out", "authz.ts"], quiet)).toBe(0);
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          extends: join(root, "tsconfig.test.json"),
          compilerOptions: {
            noEmit: true,
            baseUrl: root,
            rootDir: "/",
            typeRoots: [join(root, "node_modules/@types")],
          },
          include: [],
          files: [join(dir, "main.mts"), join(dir, "authz.ts")],
        }),
      );
      const bin = (name: string) => join(root, "node_modules/.bin", name);
      await run(bin("tsc"), ["-p", join(dir, "tsconfig.json")], { timeout: 60_000 }).catch((e) => {
        throw new Error(`tsc: ${e.stdout}`);
      });
      const { stdout } = await run(
        bin("tsx"),
        ["--tsconfig", join(root, "tsconfig.test.json"), "main.mts"],
        { cwd: dir, timeout: 60_000 },
      );
      expect(stdout).toBe("true\n403\n[ 'roadmap' ]\n");
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
