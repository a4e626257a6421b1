// docs/dual-write.md as a user follows it: its program, type-checked and run as written.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));

describe("docs/dual-write.md", () => {
  it("its program type-checks and prints what the guide says", async () => {
    const guide = readFileSync(join(root, "docs/dual-write.md"), "utf8");
    const section = guide.split("## A program to run")[1] ?? "";
    const code = /```ts run\n([\s\S]*?)```/.exec(section)?.[1];
    // What it says it prints: its `// =>` comments, one per line printed.
    const printed = [...(code ?? "").matchAll(/\/\/ => (.*)$/gm)].map((m) => `${m[1]}\n`).join("");
    expect(code).toContain("reconcile(");
    expect(printed).toContain("alice reads k4 again: true");
    const dir = mkdtempSync(join(tmpdir(), "fgac-dual-write-"));
    try {
      const file = join(dir, "dual-write.mts");
      writeFileSync(file, code ?? "");
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
          files: [file],
        }),
      );
      const bin = (name: string) => join(root, "node_modules/.bin", name);
      await run(bin("tsc"), ["-p", join(dir, "tsconfig.json")], { timeout: 60_000 }).catch((e) => {
        throw new Error(`tsc: ${e.stdout}`);
      });
      const { stdout } = await run(
        bin("tsx"),
        ["--tsconfig", join(root, "tsconfig.test.json"), file],
        { timeout: 60_000 },
      );
      expect(stdout).toBe(printed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
