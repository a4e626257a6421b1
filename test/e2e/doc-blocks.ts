// The code blocks of the guides in docs/: ```ts run (type-checked, then run), ```ts test (a
// vitest file: type-checked, then run by vitest) and ```ts check (type-checked only: it needs an
// outside service), written out as files and checked with tsc.
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One checked block of a guide. */
export interface DocBlock {
  /** The guide, e.g. `docs/express.md`. */
  page: string;
  /** `run`: type-checked and run; `test`: a vitest file; `check`: type-checked only. */
  mode: "run" | "test" | "check";
  /** Line of the block's first code line in the page (1-based). */
  line: number;
  code: string;
  /** What the block says it prints: the `// => ...` comments, in order, one per console.log. */
  prints: string[];
  /** Where the block is written out for tsc and import. */
  file: string;
}

const FENCE = /^```ts (run|test|check)\n([\s\S]*?)^```$/gm;
const PRINTS = /\/\/ => (.*)$/;

/** The checked blocks of every page in `docsDir`, written under `outDir`. */
export function extractBlocks(root: string, docsDir: string, outDir: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const name of readdirSync(join(root, docsDir)).sort()) {
    if (!name.endsWith(".md")) continue;
    const page = `${docsDir}/${name}`;
    const text = readFileSync(join(root, page), "utf8");
    for (const m of text.matchAll(FENCE)) {
      const code = m[2] ?? "";
      const line = text.slice(0, m.index).split("\n").length + 1;
      const ext = m[1] === "test" ? ".test.ts" : ".ts";
      const file = join(outDir, `${name.replace(/\.md$/, "")}-L${line}${ext}`);
      const prints = code.split("\n").flatMap((l) => PRINTS.exec(l)?.[1] ?? []);
      blocks.push({ page, mode: m[1] as DocBlock["mode"], line, code, prints, file });
    }
  }
  mkdirSync(outDir, { recursive: true });
  for (const b of blocks) writeFileSync(b.file, b.code);
  return blocks;
}

/**
 * Type-checks every block with the repository's test settings ("fgac" mapped to the sources),
 * in one tsc run. Returns the errors per page, each as `docs/page.md:line: message`.
 */
export async function typeCheck(root: string, outDir: string, blocks: readonly DocBlock[]) {
  const config = join(outDir, "tsconfig.json");
  writeFileSync(
    config,
    JSON.stringify({
      extends: relative(outDir, join(root, "tsconfig.test.json")),
      // A reader's settings are strict, but `req.params.id` is how they write it.
      compilerOptions: {
        noEmit: true,
        rootDir: relative(outDir, root),
        noPropertyAccessFromIndexSignature: false,
      },
      include: [],
      files: blocks.map((b) => relative(outDir, b.file)),
    }),
  );
  const tsc = join(root, "node_modules/.bin/tsc");
  const output = await run(tsc, ["-p", config, "--pretty", "false"], {
    cwd: root,
    timeout: 120_000,
  }).then(
    () => "",
    (e: { stdout?: string }) => e.stdout ?? String(e),
  );
  const errors = new Map<string, string[]>();
  for (const line of output.split("\n")) {
    const m = /^(.+?)\((\d+),\d+\): (error .*)$/.exec(line);
    if (!m) continue;
    const block = blocks.find((b) => join(root, m[1] ?? "") === b.file || m[1] === b.file);
    const where = block ? `${block.page}:${block.line + Number(m[2]) - 1}` : (m[1] ?? "");
    const page = block?.page ?? "(other)";
    errors.set(page, [...(errors.get(page) ?? []), `${where}: ${m[3]}`]);
  }
  if (output && errors.size === 0) errors.set("(tsc)", [output]);
  return errors;
}

/**
 * Runs the ```ts test blocks with vitest, as a reader's test files (a child process, with the
 * repository's aliases). Resolves to vitest's output; rejects with it when a test fails.
 */
export async function runTestBlocks(root: string, outDir: string): Promise<string> {
  const config = join(outDir, "vitest.config.ts");
  writeFileSync(
    config,
    [
      'import { defineConfig } from "vitest/config";',
      `import base from "${relative(outDir, join(root, "vitest.config.js"))}";`,
      `export default defineConfig({ resolve: base.resolve, test: { include: ["${relative(root, outDir)}/*.test.ts"] } });`,
    ].join("\n"),
  );
  const vitest = join(root, "node_modules/.bin/vitest");
  const { stdout } = await run(vitest, ["run", "--config", config, "--root", root], {
    cwd: root,
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: "1" },
  }).catch((e: { stdout?: string; stderr?: string }) => {
    throw new Error(`vitest failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  });
  return stdout;
}
