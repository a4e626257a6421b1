// The guides in docs/ as a reader uses them: every ```ts run block type-checks and prints what
// its `// =>` comments say, every ```ts test block passes under vitest, and every ```ts check
// block (it needs a SpiceDB server) type-checks.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatWithOptions } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DocBlock, extractBlocks, runTestBlocks, typeCheck } from "./doc-blocks.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const outDir = join(root, `.tmp/guides-${process.pid}`);
const blocks = extractBlocks(root, "docs", outDir);

/** Guides written to be followed: each has code a reader can run or copy. */
const GUIDES = [
  "getting-started",
  "express",
  "fastify",
  "hono",
  "listing",
  "testing",
  "production",
  "troubleshooting",
  "migrating",
];

let typeErrors: Map<string, string[]>;
beforeAll(async () => {
  typeErrors = await typeCheck(root, outDir, blocks);
}, 180_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** Runs a block in this process (so "fgac" is the source, as in every test) and returns its output. */
async function runBlock(block: DocBlock): Promise<string[]> {
  const printed: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    printed.push(formatWithOptions({ colors: false }, ...args));
  });
  try {
    await import(block.file);
  } finally {
    spy.mockRestore();
  }
  return printed;
}

describe("docs/ guides", () => {
  it.each(GUIDES)("docs/%s.md has code a test runs or type-checks", (guide) => {
    expect(blocks.filter((b) => b.page === `docs/${guide}.md`).length).toBeGreaterThan(0);
  });

  it("every checked block type-checks against the sources", () => {
    expect([...typeErrors.values()].flat()).toEqual([]);
  });

  it.each(blocks.filter((b) => b.mode === "run").map((b) => [`${b.page}:${b.line}`, b] as const))(
    "%s runs and prints what it says",
    async (_where, block) => {
      expect(await runBlock(block)).toEqual(block.prints);
    },
    60_000,
  );

  it.runIf(blocks.some((b) => b.mode === "test"))(
    "the test files they show pass under vitest",
    async () => {
      const output = await runTestBlocks(root, outDir);
      const files = blocks.filter((b) => b.mode === "test").length;
      expect(output).toMatch(new RegExp(`Test Files\\s+${files} passed`));
    },
    120_000,
  );
});
