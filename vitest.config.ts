import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // The examples import the package by name; tests run them against the source.
    alias: [
      { find: /^fgac$/, replacement: src("index.ts") },
      { find: /^fgac\/spicedb$/, replacement: src("spicedb/index.ts") },
      { find: /^fgac\/testing$/, replacement: src("testing/index.ts") },
      { find: /^fgac\/http$/, replacement: src("http/index.ts") },
      { find: /^fgac\/(express|fastify|hono)$/, replacement: src("adapters/$1.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The embedded SpiceDB and PGlite are heavy; two cores on CI.
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    typecheck: {
      enabled: true,
      include: ["test/**/*.test-d.ts"],
      tsconfig: "./tsconfig.test.json",
    },
  },
});
