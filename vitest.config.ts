import { defineConfig } from "vitest/config";

export default defineConfig({
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
